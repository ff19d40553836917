// Progressive enhancement of comment threads: "Reply" opens the comment form in place
// instead of on a page of its own. Without this file every link still works.
(function () {
  "use strict";

  var form = document.getElementById("comment-form");
  if (!form) return;
  var openForm = null;

  function closeOpen() {
    if (openForm) {
      openForm.remove();
      openForm = null;
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.js-reply");
    if (!link) return;
    var comment = link.closest(".comment");
    if (!comment) return;
    event.preventDefault();
    closeOpen();
    var reply = form.cloneNode(true);
    var suffix = "_reply_" + comment.id;
    reply.id = "reply-form" + suffix;
    reply.classList.add("reply-form");
    // Indent the form like the reply it will become (the thread stops nesting at 8).
    var depth = /(?:^|\s)depth-(\d+)/.exec(comment.className);
    if (depth) reply.classList.add("depth-" + Math.min(Number(depth[1]) + 1, 8));
    reply.action = link.href;
    // Ids must stay unique on the page: rename them, and the labels that point at them.
    reply.querySelectorAll("[id]").forEach(function (el) { el.id = el.id + suffix; });
    reply.querySelectorAll("label[for]").forEach(function (el) {
      el.htmlFor = el.htmlFor + suffix;
    });
    reply.querySelectorAll("[aria-describedby]").forEach(function (el) {
      el.setAttribute("aria-describedby", el.getAttribute("aria-describedby").split(" ").map(function (id) {
        return id + suffix;
      }).join(" "));
    });
    reply.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    // Each form posts once: the reply gets a key of its own (none if the browser has no
    // randomUUID, which only turns off the double-submit guard for this reply).
    var key = reply.querySelector("input[name=submission_key]");
    if (key) key.value = window.crypto && crypto.randomUUID ? crypto.randomUUID() : "";
    var textarea = reply.querySelector("textarea");
    if (textarea) textarea.value = "";
    var label = reply.querySelector("label");
    if (label) label.textContent = "Your reply:";
    var submit = reply.querySelector("button[type=submit]");
    if (submit) submit.textContent = "Post reply";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link-button";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", function () {
      closeOpen();
      link.focus();
    });
    if (submit) submit.after(" ", cancel);
    comment.after(reply);
    openForm = reply;
    if (textarea) textarea.focus();
  });
})();
