// Record an outcome: show only the fields the chosen kind of outcome uses. Without
// JavaScript every field shows, and the server ignores the ones that do not apply.
(function () {
  "use strict";
  var form = document.getElementById("claim-form");
  if (!form) return;
  var kind = form.querySelector("select[name=kind]");
  function update() {
    form.querySelectorAll("[data-for-kind]").forEach(function (box) {
      box.hidden = box.getAttribute("data-for-kind").split(" ").indexOf(kind.value) < 0;
    });
  }
  kind.addEventListener("change", update);
  update();
})();
