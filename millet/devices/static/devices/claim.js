/* x-data="qrScanner" on the claim page: reads the box's QR code with the camera where the browser
   has the BarcodeDetector API, and puts its text in the code field (the person then submits the form,
   which also works typed, with JavaScript off). Where there is no detector or no camera the scanner
   stays hidden and the field is all there is. */
document.addEventListener("alpine:init", () => {
  window.Alpine.data("qrScanner", () => ({
    supported: false,
    unsupported: true,
    idle: true,
    scanning: false,
    status: "",
    stream: null,

    init() {
      this.supported = "BarcodeDetector" in window && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
      this.unsupported = !this.supported;
    },

    async start() {
      const statusEl = this.$refs.status;
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (!formats.includes("qr_code")) throw new Error("no QR support");
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        const video = this.$refs.video;
        video.srcObject = this.stream;
        await video.play();
        this.idle = false;
        this.scanning = true;
        this.status = "";
        this.look(detector, statusEl);
      } catch (error) {
        this.stop();
        this.status = statusEl.dataset.failed;
      }
    },

    async look(detector, statusEl) {
      if (!this.scanning) return;
      try {
        const codes = await detector.detect(this.$refs.video);
        if (codes.length) {
          this.$refs.code.value = codes[0].rawValue;
          this.status = statusEl.dataset.read;
          this.stop();
          this.$refs.code.focus();
          return;
        }
      } catch (error) {
        /* a frame not ready yet: try the next one */
      }
      window.setTimeout(() => this.look(detector, statusEl), 250);
    },

    stop() {
      if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
      this.stream = null;
      this.scanning = false;
      this.idle = true;
    },
  }));
});
