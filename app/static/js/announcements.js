/* Email delegates: say who the chosen group is ("This goes to 214 people: 200 confirmed, 14 on
   the waiting list.") as soon as it is chosen. The server writes the same sentences into the
   page, so without this script they show after Preview. */
(function () {
  "use strict";
  var select = document.getElementById("audience");
  var out = document.getElementById("audience-summary");
  var list = document.getElementById("audience-summaries");
  if (!select || !out || !list) return;
  function show() {
    var item = list.querySelector('li[data-key="' + (window.CSS && CSS.escape ? CSS.escape(select.value) : select.value) + '"]');
    out.textContent = item ? item.textContent : "";
  }
  select.addEventListener("change", show);
  show();
})();
