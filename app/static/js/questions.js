// Registration questions asked with some ticket types only: show them when one of those
// tickets is chosen. Without JavaScript they all show, and the server ignores the others.
(function () {
  "use strict";
  var blocks = document.querySelectorAll("[data-ticket-types]");
  if (!blocks.length) return;
  var form = blocks[0].closest("form");
  function chosen() {
    var select = form.querySelector("select[name=ticket_type]");
    if (select) return select.value;
    var checked = form.querySelector("input[name=ticket_type]:checked");
    return checked ? checked.value : null;
  }
  function update() {
    var ticket = chosen();
    blocks.forEach(function (block) {
      var ids = block.getAttribute("data-ticket-types").split(" ");
      var show = ticket === null || ids.indexOf(ticket) !== -1;
      block.hidden = !show;
      var note = block.querySelector(".ticket-note");
      if (note) note.hidden = show && ticket !== null;
    });
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "ticket_type") update();
  });
  update();
})();
