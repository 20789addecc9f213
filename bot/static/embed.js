/* The chat as a floating "Ask" button on any page, in one line:
 *   <script src="https://BOT/embed.js" data-lang="es" data-primary="#0b7285" async></script>
 * The button (bottom right) opens the widget (BOT/widget/?lang=..&primary=..) in a panel:
 * 380x640 on a desktop, the whole screen on a phone. Escape, the close button or the button
 * again close it, and the focus goes back to the button. Everything lives in a shadow root, so
 * the page's CSS neither changes it nor is changed by it; the widget loads on the first click.
 * Optional: data-label (the button's text) and data-title (the panel's name for screen readers).
 */
(() => {
  const script = document.currentScript;
  if (!script || !script.src) return;
  const data = script.dataset;
  const lang = (data.lang || "").trim();
  const primary = (data.primary || "").trim();
  const widget = new URL("widget/", script.src);
  if (lang) widget.searchParams.set("lang", lang);
  if (primary) widget.searchParams.set("primary", primary);
  const spanish = lang.toLowerCase().startsWith("es");
  const label = data.label || (spanish ? "Preguntar" : "Ask");
  const title = data.title || (spanish ? "Pregunte a los documentos" : "Ask the documents");
  const close = spanish ? "Cerrar" : "Close";

  const host = document.createElement("div");
  host.setAttribute("data-medquote", "");
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>
    :host { all: initial; }
    .ask { position: fixed; right: 16px; bottom: 16px; z-index: 2147483646; width: 64px; height: 64px;
           border-radius: 50%; border: 0; background: #0b7285; color: #fff; cursor: pointer;
           font: 600 15px/1 system-ui, "Segoe UI", Roboto, sans-serif; box-shadow: 0 4px 14px rgba(0,0,0,.3); }
    .ask:focus-visible, .close:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 3px; }
    .panel { position: fixed; right: 16px; bottom: 92px; z-index: 2147483647; width: 380px; height: 640px;
             max-height: calc(100vh - 108px); background: #fff; border-radius: 12px; overflow: hidden;
             box-shadow: 0 8px 30px rgba(0,0,0,.35); display: flex; flex-direction: column; }
    .panel[hidden] { display: none; }
    .bar { display: flex; justify-content: flex-end; background: #f4f4f5; }
    .close { border: 0; background: transparent; color: #18181b; font: 700 22px/1 system-ui, sans-serif;
             width: 40px; height: 32px; cursor: pointer; }
    iframe { border: 0; width: 100%; flex: 1 1 auto; }
    @media (max-width: 480px) {
      .panel { inset: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; }
    }
  </style>
  <button class="ask" type="button" aria-expanded="false" aria-haspopup="dialog"></button>
  <div class="panel" role="dialog" hidden>
    <div class="bar"><button class="close" type="button">\u00d7</button></div>
  </div>`;
  const ask = root.querySelector(".ask");
  const panel = root.querySelector(".panel");
  const closer = root.querySelector(".close");
  ask.textContent = label;
  ask.setAttribute("aria-label", title);
  panel.setAttribute("aria-label", title);
  closer.setAttribute("aria-label", close);
  if (primary) {  // the page's colour for the button; white or black text, whichever reads better
    ask.style.backgroundColor = primary;  // an invalid colour is ignored by the browser
    const rgb = (getComputedStyle(ask).backgroundColor.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
    if (rgb.length === 3) {
      const lin = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      const l = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
      ask.style.color = 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#fff" : "#000";
    }
  }
  let frame = null;
  const open = () => {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = widget.href;
      frame.title = title;
      frame.allow = "clipboard-write";
      panel.append(frame);
    }
    panel.hidden = false;
    ask.setAttribute("aria-expanded", "true");
    frame.focus();
  };
  const shut = () => {
    if (panel.hidden) return;
    panel.hidden = true;
    ask.setAttribute("aria-expanded", "false");
    ask.focus();
  };
  ask.addEventListener("click", () => (panel.hidden ? open() : shut()));
  closer.addEventListener("click", shut);
  document.addEventListener("keydown", e => { if (e.key === "Escape") shut(); });
  root.addEventListener("keydown", e => { if (e.key === "Escape") shut(); });
  // Escape pressed inside the widget: it tells this page (only its own frame is listened to)
  window.addEventListener("message", e => {
    if (frame && e.source === frame.contentWindow && e.data && e.data.type === "medquote:close") shut();
  });
  const mount = () => document.body.append(host);
  document.body ? mount() : document.addEventListener("DOMContentLoaded", mount);
})();
