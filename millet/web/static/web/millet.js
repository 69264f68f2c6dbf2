/* Millet's scripts: plain JavaScript that only enhances (every page works without it), loaded on
   every page, so it stays small. htmx comes only with the pages that use it (components/htmx.html).
   The CSP forbids inline scripts and eval. See docs/WEB.md. */

// {% countdown deadline %} (components/countdown.html): ticks the server-rendered parts each second
// by the server's clock and, at zero, dispatches "countdown-ended" (bubbling), which htmx can use:
// hx-trigger="countdown-ended". Countdowns htmx swaps in start too (htmx:load).
const pad = (n) => String(n).padStart(2, "0");

function startCountdown(el) {
  el.dataset.ticking = "";
  const deadline = Date.parse(el.dataset.deadline);
  // The server's clock is the truth: count by it, whatever this device's clock says.
  const now = Date.parse(el.dataset.now);
  const skew = Number.isNaN(now) ? 0 : now - Date.now();
  const part = (name) => el.querySelector(`[data-part="${name}"]`);
  const [days, hours, minutes, seconds] = ["days", "hours", "minutes", "seconds"].map(part);
  let timer = null;
  const tick = () => {
    if (!el.isConnected) return clearInterval(timer); // swapped out by htmx
    // Rounded up: zero only once the deadline has passed by the server's clock, so a page that
    // asks the server again at zero finds the sale started (or the window closed).
    const left = Math.max(0, Math.ceil((deadline - Date.now() - skew) / 1000));
    days.textContent = String(Math.floor(left / 86400));
    hours.textContent = pad(Math.floor((left % 86400) / 3600));
    minutes.textContent = pad(Math.floor((left % 3600) / 60));
    seconds.textContent = pad(left % 60);
    if (left === 0) {
      clearInterval(timer);
      el.dispatchEvent(new CustomEvent("countdown-ended", { bubbles: true }));
      return true;
    }
    return false;
  };
  if (!tick()) timer = setInterval(tick, 1000);
}

const startCountdowns = (root) =>
  root.querySelectorAll("[data-countdown]:not([data-ticking])").forEach(startCountdown);
document.addEventListener("DOMContentLoaded", () => startCountdowns(document));
document.addEventListener("htmx:load", (event) => startCountdowns(event.target));

// A plain POST form (not htmx's) sends once per burst: a double click, or Enter pressed twice, would
// start a second navigation that aborts the first, and the person sees whichever answer came last.
// A repeat within RESEND_AFTER_MS is that burst and is dropped; a later one is a retry (after the
// Stop button, on a slow line) and goes, as any resend could before (checkout and claims replay).
// Never on a scanner form (data-scanner): a hand scanner's next scan must not vanish. The mark
// clears when the page shows again (back/forward cache).
const RESEND_AFTER_MS = 3000;
document.addEventListener("submit", (event) => {
  const form = event.target;
  const plain = form.method === "post" && !form.hasAttribute("hx-post") && !form.hasAttribute("data-scanner");
  if (!plain || event.defaultPrevented) return;
  if (Date.now() - Number(form.dataset.sentAt || 0) < RESEND_AFTER_MS) event.preventDefault();
  else form.dataset.sentAt = String(Date.now());
});
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-sent-at]").forEach((form) => delete form.dataset.sentAt);
});

// <details data-disclosure> (the market and language picker, on every page): closes
// on Escape, giving the focus back to its summary, or on a click elsewhere.
document.addEventListener("click", (event) => {
  for (const details of document.querySelectorAll("details[data-disclosure][open]")) {
    if (!details.contains(event.target)) details.open = false;
  }
});
document.addEventListener("keydown", (event) => {
  const details = event.key === "Escape" && event.target.closest("details[data-disclosure][open]");
  if (details) {
    details.open = false;
    details.querySelector("summary").focus();
  }
});

// <form data-scanner> with an <input data-scan> (the till, receiving a transfer): keeps the scan
// input focused, so a hand scanner's keystrokes and Enter land in it; a click on anything that is
// not a control brings the focus back (never on Tab, so keyboard users still reach the buttons).
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("[data-scanner] input[data-scan]");
  if (!input) return;
  input.focus();
  document.addEventListener("click", (event) => {
    if (!event.target.closest("a, button, input, select, textarea, summary, label")) input.focus();
  });
});
