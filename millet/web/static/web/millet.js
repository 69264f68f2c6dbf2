/* Millet's Alpine.js components. The CSP build of Alpine (@alpinejs/csp) evaluates no expressions:
   a page names a component registered here (x-data="countdown") and binds to its properties and
   methods by name (x-text="hours"). Every page works without this file;
   these only enhance. See docs/WEB.md. */
document.addEventListener("alpine:init", () => {
  const pad = (n) => String(n).padStart(2, "0");

  // {% countdown deadline %}: ticks the server-rendered parts each second; at zero it sets `ended`
  // and dispatches "countdown-ended" (bubbling), which htmx can use: hx-trigger="countdown-ended".
  window.Alpine.data("countdown", () => ({
    days: "",
    hours: "",
    minutes: "",
    seconds: "",
    ended: false,
    init() {
      this.deadline = Date.parse(this.$el.dataset.deadline);
      // The server's clock is the truth: count by it, whatever this device's clock says.
      const now = Date.parse(this.$el.dataset.now);
      this.skew = Number.isNaN(now) ? 0 : now - Date.now();
      this.tick();
      if (!this.ended) this.timer = setInterval(() => this.tick(), 1000);
    },
    destroy() {
      clearInterval(this.timer);
    },
    tick() {
      // Rounded up: zero only once the deadline has passed by the server's clock, so a page that
      // asks the server again at zero finds the sale started (or the window closed).
      const left = Math.max(0, Math.ceil((this.deadline - Date.now() - this.skew) / 1000));
      this.days = String(Math.floor(left / 86400));
      this.hours = pad(Math.floor((left % 86400) / 3600));
      this.minutes = pad(Math.floor((left % 3600) / 60));
      this.seconds = pad(left % 60);
      if (left === 0 && !this.ended) {
        this.ended = true;
        clearInterval(this.timer);
        this.$dispatch("countdown-ended");
      }
    },
  }));

  // x-data="disclosure" on a <details>: closes it on Escape or a click elsewhere (the picker).
  window.Alpine.data("disclosure", () => ({
    init() {
      const details = this.$el;
      document.addEventListener("click", (event) => {
        if (details.open && !details.contains(event.target)) details.open = false;
      });
      details.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && details.open) {
          details.open = false;
          details.querySelector("summary").focus();
        }
      });
    },
  }));

  // x-data="scanner" around a scanning form: keeps its scan input (data-scan) focused, so a hand
  // scanner's keystrokes and Enter land in it; a click on anything that is not a control of its own
  // brings the focus back (never on Tab, so keyboard users can still reach the buttons).
  window.Alpine.data("scanner", () => ({
    init() {
      const input = this.$el.querySelector("input[data-scan]");
      if (!input) return;
      input.focus();
      document.addEventListener("click", (event) => {
        if (!event.target.closest("a, button, input, select, textarea, summary, label")) input.focus();
      });
    },
  }));
});
