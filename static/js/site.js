// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Theme toggle: light / dark, remembered in this browser; the system setting otherwise.
  var root = document.documentElement;
  var toggle = document.getElementById("theme-toggle");
  function systemDark() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function current() {
    return root.dataset.theme || (systemDark() ? "dark" : "light");
  }
  function label() {
    if (toggle) toggle.textContent = current() === "dark" ? "Light theme" : "Dark theme";
  }
  try {
    var saved = localStorage.getItem("theme");
    if (saved === "dark" || saved === "light") root.dataset.theme = saved;
  } catch (e) { /* storage blocked: follow the system */ }
  if (toggle) {
    toggle.hidden = false;
    label();
    toggle.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem("theme", next); } catch (e) { /* not remembered */ }
      label();
    });
  }

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
})();
