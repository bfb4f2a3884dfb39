/* Organiser live check-in page: counts, arrivals chart, latest admissions and offline
   conflicts, refreshed every 5 seconds. */
(function () {
  var root = document.getElementById("live");
  var chart = new Chart(document.getElementById("arrivals"), {
    type: "bar",
    data: { labels: [], datasets: [{ label: "Arrivals", data: [], backgroundColor: "#0b4f6c" }] },
    options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
               scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  function cell(text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }
  function render(d) {
    document.getElementById("live-in").textContent = d.checked_in;
    document.getElementById("live-expected").textContent = d.expected;
    document.getElementById("live-attention").textContent = d.needs_attention;
    document.getElementById("live-bar").style.width = (d.expected ? Math.round(100 * d.checked_in / d.expected) : 0) + "%";
    document.getElementById("arrivals-empty").classList.toggle("d-none", d.arrivals.length > 0);
    document.getElementById("arrivals-box").classList.toggle("d-none", d.arrivals.length === 0);
    chart.data.labels = d.arrivals.map(function (a) { return a[0]; });
    chart.data.datasets[0].data = d.arrivals.map(function (a) { return a[1]; });
    chart.update();
    var body = document.getElementById("live-points");
    body.replaceChildren.apply(body, d.points.map(function (p) {
      var tr = document.createElement("tr");
      var title = cell(p.title);
      if (p.bookable) {
        var badge = document.createElement("span");
        badge.className = "badge text-bg-light";
        badge.textContent = "booked";
        title.append(" ", badge);
      }
      // As the page draws it: on a phone the start time sits under the title, not in its column.
      var under = document.createElement("div");
      under.className = "d-sm-none small text-body-secondary";
      under.textContent = p.starts_local;
      title.append(under);
      tr.append(title, cell(p.starts_local, "text-nowrap d-none d-sm-table-cell"), cell(p.checked_in, "text-end"), cell(p.expected, "text-end"));
      return tr;
    }));
    var recent = document.getElementById("live-recent");
    var items = d.recent.slice(0, 5).map(function (r) {
      var li = document.createElement("li");
      li.textContent = r.time + " · " + r.name + " · " + r.point;
      return li;
    });
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "text-body-secondary";
      none.textContent = "None yet.";
      items.push(none);
    }
    recent.replaceChildren.apply(recent, items);
    var conflicts = document.getElementById("live-conflicts");
    document.getElementById("conflicts-box").classList.toggle("d-none", !d.conflicts.length);
    conflicts.replaceChildren.apply(conflicts, d.conflicts.map(function (c) {
      var li = document.createElement("li");
      li.className = "mb-2";
      var name = document.createElement("strong");
      name.textContent = c.name;
      li.append(name, " · " + c.point + " — " + c.result +
        (c.offline ? " (the scanner said " + c.offline + " offline)" : ""),
        document.createElement("br"),
        "scanned " + c.scanned + (c.standing ? "; admitted first " + c.standing : ""));
      return li;
    }));
  }
  render(JSON.parse(document.getElementById("live-initial").textContent));
  function poll() {
    fetch(root.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { if (!res.ok) throw new Error(res.status); return res.json(); })
      .then(function (d) {
        render(d);
        document.getElementById("live-updated").textContent = "Last update " + new Date().toLocaleTimeString("en-GB");
      })
      .catch(function () { document.getElementById("live-updated").textContent = "Connection lost, retrying…"; })
      .finally(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 5000);
})();
