// Sign-up: preselect the browser's time zone in the time zone menu. Only menus marked
// data-browser-time-zone (a fresh form: a form sent back keeps the member's choice), and
// only zones the menu offers. Without this file the site's default stays selected.
(function () {
  "use strict";

  // Names some browsers still report for zones the tz database renamed.
  var RENAMED = {
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Europe/Kiev": "Europe/Kyiv",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "Etc/UTC": "UTC",
    "Etc/GMT": "UTC",
    "GMT": "UTC",
  };

  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) return;
  zone = RENAMED[zone] || zone;

  var menus = document.querySelectorAll("select[data-browser-time-zone]");
  Array.prototype.forEach.call(menus, function (menu) {
    for (var i = 0; i < menu.options.length; i++) {
      if (menu.options[i].value === zone) {
        menu.value = zone;
        return;
      }
    }
  });
})();
