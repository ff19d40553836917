// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

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
