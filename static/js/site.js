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

  // Forms marked data-swap="<id>" (vet, save, track) post in the background, and every
  // part of the page that the action changed is replaced, so the reader keeps their
  // place. The answer is either the parts themselves (a vet or save: the children of
  // [data-parts], each under the id of the part it replaces) or the page the form would
  // have led to (track). From it the script takes the form's own part <id>, those
  // children, and the elements marked data-part (the header's credits and inbox) — each
  // one the page also has. The message is announced in a live region and focus stays on
  // the control that was used. A failure (refused, rate limited, server error, no
  // network) is shown beside the form in the site's words; the page never goes to the
  // POST-only URL. Without fetch the forms post as usual.
  var FAILED = {
    network: "Could not reach the site. Check your connection and try again.",
    busy: "You are doing that too often. Please wait a minute and try again.",
    server: "Sorry, something went wrong on our side. Please try again in a moment.",
    other: "Sorry, that did not work. Please reload the page and try again."
  };

  // Where a page the server answered says what went wrong, in the site's words.
  var SAID = "[data-error-message], #main > .messages .message-error";

  function parseHTML(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  function text(node) {
    return node ? node.textContent.replace(/\s+/g, " ").trim() : "";
  }

  // What to tell the member when an action failed: the server's own words when it gave
  // some (a JSON "error", a message, or the heading and first paragraph of its page),
  // otherwise a sentence of ours for the kind of failure.
  function failureMessage(response, body) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") !== -1) {
      try {
        var data = JSON.parse(body);
        if (data && (data.error || data.message)) return String(data.error || data.message);
      } catch (e) { /* not JSON after all */ }
    } else if (type.indexOf("html") !== -1 && body) {
      var doc = parseHTML(body);
      var said = text(doc.querySelector(SAID));
      if (said) return said;
      // 405 and 429 pages are written for a page load ("go back…"), not for a button.
      if (response.status < 500 && response.status !== 405 && response.status !== 429) {
        var heading = text(doc.querySelector("#main h1"));
        var paragraph = text(doc.querySelector("#main h1 ~ p"));
        if (heading && paragraph) return heading.replace(/[.:!?]*$/, ".") + " " + paragraph;
      }
    }
    if (response.status === 429) return FAILED.busy;
    if (response.status >= 500) return FAILED.server;
    return FAILED.other;
  }

  function clearFailure(form) {
    var next = form.nextElementSibling;
    if (next && next.classList.contains("action-error")) next.remove();
  }

  function showFailure(form, message) {
    clearFailure(form);
    var note = document.createElement("p");
    note.className = "message message-error action-error";
    note.setAttribute("role", "alert");
    note.setAttribute("data-testid", "action-error");
    note.textContent = message;
    form.insertAdjacentElement("afterend", note);
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = false;
      button.focus();
    }
  }

  // Replaces the page's parts by the answer's; returns the ids replaced.
  function swapParts(doc, ownId) {
    var swapped = {};
    function take(fresh) {
      if (!fresh || !fresh.id || swapped[fresh.id]) return;
      var old = document.getElementById(fresh.id);
      if (!old) return;
      old.replaceWith(document.importNode(fresh, true));
      swapped[fresh.id] = true;
    }
    take(doc.getElementById(ownId));
    Array.prototype.forEach.call(doc.querySelectorAll("[data-parts] > [id], [data-part][id]"), take);
    return swapped;
  }

  // Focus goes back to the control that was used (the same form's button in the new
  // part: "Save for later" becomes "Remove from saved stories"), or, when that control
  // is gone ("Note it" becomes "You noted this story"), to the part that replaced it.
  function refocus(part, action) {
    var same = Array.prototype.find.call(part.querySelectorAll("form"), function (f) {
      return f.getAttribute("action") === action;
    });
    var focus = same && same.querySelector("button[type=submit]");
    if (!focus) {
      focus = part;
      part.setAttribute("tabindex", "-1");
    }
    focus.focus();
  }

  function liveRegion() {
    var region = document.getElementById("live-messages");
    var main = document.getElementById("main");
    if (!region && main) {
      region = document.createElement("div");
      region.id = "live-messages";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      main.insertBefore(region, main.firstChild);
    }
    return region;
  }

  function enhanceSwapForms() {
    if (!window.fetch || !window.DOMParser || !window.FormData) return;
    if (!document.querySelector("form[data-swap]")) return;
    liveRegion();  // present before it changes, so screen readers announce the change
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("form[data-swap]")) return;
      var ownId = form.dataset.swap;
      if (!document.getElementById(ownId)) return;
      event.preventDefault();
      clearFailure(form);
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      // getAttribute: an input named "action" shadows form.action.
      var action = form.getAttribute("action") || window.location.pathname;
      fetch(action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "Accept": "text/html" }
      })
        .then(function (response) {
          return response.text().then(function (body) {
            if (!response.ok) {
              showFailure(form, failureMessage(response, body));
              return;
            }
            var doc = parseHTML(body);
            var swapped = swapParts(doc, ownId);
            if (!swapped[ownId]) {
              // Sent elsewhere: signed out (e.g. suspended meanwhile), so the log-in page.
              // Its message is shown here; without one, go there (a page for a GET).
              var said = text(doc.querySelector(SAID));
              if (said) {
                showFailure(form, said);
              } else if (response.redirected && new URL(response.url).pathname !== action) {
                window.location.assign(response.url);
              } else {
                showFailure(form, failureMessage(response, body));
              }
              return;
            }
            showMessages(doc);
            refocus(document.getElementById(ownId), action);
          });
        })
        .catch(function () {
          showFailure(form, FAILED.network);
        });
    });
  }

  function showMessages(doc) {
    var main = document.getElementById("main");
    var region = liveRegion();
    if (!main || !region) return;
    Array.prototype.forEach.call(main.querySelectorAll(":scope > .messages"), function (old) {
      old.remove();
    });
    var fresh = doc.querySelector("#main > .messages");
    region.replaceChildren();
    if (fresh) {
      fresh.removeAttribute("role");  // the region announces it
      region.appendChild(document.importNode(fresh, true));
    }
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
