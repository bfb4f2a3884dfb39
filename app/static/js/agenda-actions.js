// Book, cancel and star on the agenda without leaving the card: the form is posted with
// fetch (CSRF token in the X-CSRFToken header), the card is redrawn from a fresh copy of the
// page, and the answer (or the refusal, such as a clash) is shown on the card itself. Without
// JavaScript, or when the answer is not JSON (signed out, say), the form posts as usual.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.content : "";

  function freshCard(id) {
    return fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return null;
        var doc = new DOMParser().parseFromString(html, "text/html");
        return doc.getElementById(id);
      })
      .catch(function () { return null; });
  }

  function show(card, message, category) {
    var old = card.querySelector(".agenda-feedback");
    if (old) old.remove();
    var note = document.createElement("div");
    note.className = "agenda-feedback alert alert-" + category + " small py-1 px-2 mt-2 mb-0";
    note.setAttribute("role", category === "danger" ? "alert" : "status");
    note.tabIndex = -1;
    note.textContent = message;
    card.appendChild(note);
    note.focus({ preventScroll: true });
    var box = note.getBoundingClientRect();
    if (box.bottom > window.innerHeight || box.top < 0) note.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var card = form.closest && form.closest(".agenda-item");
    if (!card || !form.closest(".agenda-actions")) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" }
    })
      .then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) throw new Error("not json");
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      })
      .then(function (answer) {
        var data = answer.data;
        var message = data.message ||
          (data.starred === true ? "Added to your agenda." :
           data.starred === false ? "Removed from your agenda." : "Done.");
        var category = data.category || (answer.ok ? "success" : "danger");
        return freshCard(card.id).then(function (fresh) {
          var target = card;
          if (fresh) {
            card.replaceWith(fresh);
            target = fresh;
          } else if (button) {
            button.disabled = false;
          }
          show(target, message, category);
        });
      })
      .catch(function () { form.submit(); });
  });
})();
