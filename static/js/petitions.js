// Progressive enhancement for petition pages: every page works without this file.
(function () {
  "use strict";
  // The share link and the embed code: select all on focus, ready to copy.
  ["share-url", "embed-code"].forEach(function (id) {
    var field = document.getElementById(id);
    if (field) field.addEventListener("focus", function () { field.select(); });
  });
  // Remember that the sign button was pressed, so a double click does not post twice.
  document.querySelectorAll("form.sign-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        if (button.dataset.sent) return;
        button.dataset.sent = "1";
        setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  });
})();
