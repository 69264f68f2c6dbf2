/* The device owner's app: registers the service worker (installable /devices/) and, on a device's
   page, listens to its event stream (Server-Sent Events, see devices/views.py) to show readings and
   command states as they arrive. The page works without this file: it shows the state at load. */
(() => {
  const app = document.querySelector("[data-devices-app]");
  if (!app) return;
  if ("serviceWorker" in navigator && app.dataset.sw) {
    navigator.serviceWorker.register(app.dataset.sw, { scope: app.dataset.scope }).catch(() => {});
  }
  const url = app.dataset.stream;
  if (!url || !("EventSource" in window)) return;
  const states = JSON.parse(app.dataset.states || "{}");
  const words = JSON.parse(app.dataset.words || "{}");
  const badges = { acked: "badge--success", failed: "badge--danger", expired: "badge--danger" };

  const show = (element, value) => {
    const select = element.closest("form")?.querySelector("select");
    const option = select && [...select.options].find((o) => o.value === String(value));
    if (typeof value === "boolean") element.textContent = value ? words.on : words.off;
    else if (option) element.textContent = option.textContent;
    else element.textContent = `${value} ${element.dataset.unit || ""}`.trim();
  };

  const source = new EventSource(url);
  source.addEventListener("reading", (event) => {
    const message = JSON.parse(event.data);
    for (const [key, value] of Object.entries(message.data.props)) {
      const name = CSS.escape(key);
      app.querySelectorAll(`[data-prop="${name}"]`).forEach((element) => show(element, value));
      app.querySelectorAll(`[data-switch="${name}"]`).forEach((button) => {
        button.setAttribute("aria-checked", value ? "true" : "false");
        button.value = value ? "false" : "true"; // the next press asks for the opposite
      });
    }
  });
  // A command's news can arrive before its row does: the row comes with the answer to the press that
  // sent it (htmx swaps the list in), and a quick device acknowledges first. So every state heard is
  // kept, and painted on rows as they appear; a state never steps back (a late "sent" after "acked").
  const rank = { queued: 0, sent: 1, acked: 2, failed: 2, expired: 2 };
  const heard = new Map();
  const paint = () => {
    for (const [id, status] of heard) {
      const badge = app.querySelector(`[data-command="${CSS.escape(id)}"] [data-command-state]`);
      if (!badge || (rank[badge.dataset.commandState] ?? 0) > (rank[status] ?? 0)) continue;
      badge.dataset.commandState = status;
      badge.textContent = states[status] || status;
      badge.className = `badge ${badges[status] || ""}`.trim();
    }
  };
  source.addEventListener("command", (event) => {
    const { id, status } = JSON.parse(event.data).data;
    if ((rank[heard.get(id)] ?? -1) > (rank[status] ?? 0)) return;
    heard.set(id, status);
    paint();
  });
  document.addEventListener("htmx:afterSettle", paint);
  window.addEventListener("pagehide", () => source.close());
})();
