// hubgen serve's live reload. The dev server adds this script to the HTML it serves (never to
// `hubgen build` output). It follows /__hubgen__/events: "reload" brings the page up to date,
// "css" swaps the stylesheets in place, "error" shows the build's problems over the page until a
// build works. A page without scripts of its own (the default theme has none) is brought up to
// date in place: the new page is fetched and its body and head put in, keeping the scroll
// position, which is quicker than reloading it; any other page, or any surprise, is reloaded.
(() => {
  "use strict";
  const script = document.currentScript;
  const client = script.getAttribute("src");
  let build = Number(script.dataset.build);
  const source = new EventSource(script.dataset.events);
  let host = null;
  let latest = 0; // the last update asked for: an older one arriving late is dropped

  function hideOverlay() {
    if (host !== null) {
      host.remove();
      host = null;
    }
  }

  function showOverlay(problems) {
    hideOverlay();
    host = document.createElement("div");
    host.id = "hubgen-overlay";
    const root = host.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = `
      :host { all: initial; }
      .backdrop { position: fixed; inset: 0; z-index: 2147483647; overflow: auto;
        background: rgba(20, 22, 26, 0.92); color: #f3f4f6; padding: 2rem 1rem;
        font: 15px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
      .panel { max-width: 60rem; margin: 0 auto; }
      h2 { font: 600 1.1rem/1.3 system-ui, sans-serif; color: #ff8a8a; margin: 0 0 1rem; }
      p { margin: 0 0 1rem; color: #c7cbd1; font-family: system-ui, sans-serif; }
      ol { list-style: none; margin: 0; padding: 0; }
      li { border-left: 4px solid #ff6b6b; background: #2a2d33; padding: 0.75rem 1rem;
        margin: 0 0 1rem; white-space: pre-wrap; overflow-wrap: anywhere; }
      li.warning { border-color: #f5c04a; }
      .location { color: #ffd479; font-weight: 600; }
      pre { margin: 0.5rem 0 0; color: #aab2bd; white-space: pre; overflow-x: auto; }
      button { float: right; font: inherit; background: none; color: inherit;
        border: 1px solid #6b7280; border-radius: 4px; padding: 0.1rem 0.6rem; cursor: pointer; }`;
    const backdrop = document.createElement("div");
    backdrop.className = "backdrop";
    backdrop.setAttribute("role", "alertdialog");
    backdrop.setAttribute("aria-label", "hubgen build failed");
    const panel = document.createElement("div");
    panel.className = "panel";
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "Hide";
    close.addEventListener("click", hideOverlay);
    const title = document.createElement("h2");
    title.textContent = "hubgen: the build failed";
    const note = document.createElement("p");
    note.textContent =
      "This page is from the last build that worked. Fix the files below: the page updates by itself.";
    const list = document.createElement("ol");
    for (const problem of problems) {
      const item = document.createElement("li");
      item.className = problem.text.includes(": warning: ") ? "warning" : "error";
      const location = document.createElement("span");
      location.className = "location";
      location.textContent = problem.location;
      item.append(location, problem.text.slice(problem.location.length));
      if (problem.excerpt) {
        const excerpt = document.createElement("pre");
        excerpt.textContent = problem.excerpt;
        item.append(excerpt);
      }
      list.append(item);
    }
    panel.append(close, title, note, list);
    backdrop.append(panel);
    root.append(style, backdrop);
    document.documentElement.append(host);
  }

  function swapStylesheets(id) {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) {
        continue;
      }
      url.searchParams.set("hubgen", String(id));
      const fresh = link.cloneNode();
      fresh.href = url.href;
      // The old sheet goes once the new one applies, so the page never shows unstyled.
      const done = () => link.remove();
      fresh.addEventListener("load", done, { once: true });
      fresh.addEventListener("error", done, { once: true });
      link.after(fresh);
    }
  }

  function ownScripts(doc) {
    return [...doc.scripts].filter((s) => s.getAttribute("src") !== client);
  }

  function stylesheets(doc) {
    return [...doc.querySelectorAll('link[rel~="stylesheet"]')].map((link) => {
      const url = new URL(link.getAttribute("href"), location.href);
      url.searchParams.delete("hubgen"); // what swapStylesheets adds
      return url.href;
    });
  }

  async function update(id) {
    const asked = ++latest;
    try {
      const response = await fetch(location.href, { cache: "no-store" });
      const type = response.headers.get("content-type") || "";
      if (!response.ok || !type.startsWith("text/html")) {
        throw new Error("not a page");
      }
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      if (asked !== latest) {
        return;
      }
      if (
        ownScripts(document).length ||
        ownScripts(fresh).length ||
        stylesheets(document).join("\n") !== stylesheets(fresh).join("\n")
      ) {
        throw new Error("a page with scripts, or other stylesheets");
      }
      const kept = (node) => node.matches('link[rel~="stylesheet"], script');
      for (const node of [...document.head.children]) {
        if (!kept(node)) {
          node.remove();
        }
      }
      for (const node of [...fresh.head.children]) {
        if (!kept(node)) {
          document.head.append(node);
        }
      }
      const [x, y] = [scrollX, scrollY];
      document.documentElement.lang = fresh.documentElement.lang;
      document.body.replaceWith(fresh.body); // its copy of this script is inert: never run
      scrollTo(x, y);
      swapStylesheets(id); // in case a stylesheet changed with the page
    } catch (error) {
      location.reload();
    }
  }

  function follow(event) {
    const status = JSON.parse(event.data);
    if (status.kind === "error") {
      showOverlay(status.problems);
      return;
    }
    hideOverlay();
    if (status.build === build) {
      return;
    }
    if (status.kind === "css" && status.since === build) {
      swapStylesheets(status.build);
    } else {
      update(status.build);
    }
    build = status.build;
  }

  for (const kind of ["reload", "css", "error"]) {
    source.addEventListener(kind, follow);
  }
})();
