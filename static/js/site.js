// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Theme: light / dark, remembered in this browser; the system setting otherwise.
  // This file loads in <head> (not deferred) so a remembered theme applies before the
  // first paint; everything that needs the page waits for it below.
  var root = document.documentElement;
  try {
    var saved = localStorage.getItem("theme");
    if (saved === "dark" || saved === "light") root.dataset.theme = saved;
  } catch (e) { /* storage blocked: follow the system */ }

  function systemDark() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function currentTheme() {
    return root.dataset.theme || (systemDark() ? "dark" : "light");
  }

  function enhanceThemeToggle() {
    var toggle = document.getElementById("theme-toggle");
    if (!toggle) return;
    function label() {
      toggle.textContent = currentTheme() === "dark" ? "Light theme" : "Dark theme";
    }
    toggle.hidden = false;
    label();
    toggle.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem("theme", next); } catch (e) { /* not remembered */ }
      label();
    });
    // The system switching while the page is open relabels the toggle (no choice saved).
    if (window.matchMedia) {
      var query = window.matchMedia("(prefers-color-scheme: dark)");
      if (query.addEventListener) query.addEventListener("change", label);
    }
  }

  function enhanceNotedBy() {
    // "Noted by": replace the link with the list, loaded after the page.
    var notedBy = document.getElementById("noted-by");
    if (notedBy && notedBy.dataset.src && window.fetch) {
      var link = notedBy.innerHTML;
      notedBy.textContent = "Loading Noted By… Please wait";
      fetch(notedBy.dataset.src, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          notedBy.replaceChildren.apply(notedBy, Array.from(doc.body.childNodes));
          notedBy.dataset.loaded = "true";
        })
        .catch(function () { notedBy.innerHTML = link; });
    }
  }

  // Forms marked data-swap="<id>" (vet, save, track) post in the background: the
  // answer is the page the form would have led to, and only the element <id> is taken
  // from it, with its message, so the reader keeps their place. Without fetch, or if
  // anything goes wrong before the server answers, the form posts as usual.
  function enhanceSwapForms() {
    if (!window.fetch || !window.DOMParser || !window.FormData) return;
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("form[data-swap]")) return;
      var target = document.getElementById(form.dataset.swap);
      if (!target) return;
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      // getAttribute: an input named "action" shadows form.action.
      fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      })
        .then(function (response) {
          return response.text().then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById(form.dataset.swap);
            if (!response.ok || !fresh) {
              window.location.assign(response.url);  // show what the server answered
              return;
            }
            target.replaceWith(fresh);
            showMessages(doc);
            var focus = fresh.querySelector("button, a[href]") || fresh;
            if (focus === fresh) fresh.setAttribute("tabindex", "-1");
            focus.focus();
          });
        })
        .catch(function () {
          HTMLFormElement.prototype.submit.call(form);  // never reached the server: post normally
        });
    });
  }

  function showMessages(doc) {
    var main = document.getElementById("main");
    var old = main && main.querySelector(":scope > .messages");
    var fresh = doc.querySelector("#main > .messages");
    if (old) old.remove();
    if (main && fresh) main.insertBefore(fresh, main.firstChild);
  }

  function enhance() {
    enhanceThemeToggle();
    enhanceNotedBy();
    enhanceSwapForms();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
