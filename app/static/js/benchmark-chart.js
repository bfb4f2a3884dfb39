/* Radar chart of a benchmark's pillar scores against the peer median (Chart.js, vendored).
 * Readable without colour: each series has its own line style and point shape, named in the
 * legend and in the caption under the chart; the table next to it holds the same figures. */
(function () {
  "use strict";
  var canvas = document.getElementById("benchmark-chart");
  var source = document.getElementById("benchmark-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  // Long pillar names wrap onto two lines around the "&".
  var labels = data.labels.map(function (label) {
    var parts = label.split(" & ");
    return parts.length === 2 ? [parts[0] + " &", parts[1]] : label;
  });

  var small = window.innerWidth < 576;
  var datasets = [{
    label: "Your business",
    data: data.yours,
    borderColor: "#0b4f6c",
    backgroundColor: "rgba(11, 79, 108, 0.15)",
    borderWidth: 3,
    pointStyle: "circle",
    pointRadius: small ? 4 : 5,
    pointBackgroundColor: "#0b4f6c",
    fill: true,
    order: 1
  }];
  if (data.peer_median) {
    datasets.push({
      label: "Peer median",
      data: data.peer_median,
      borderColor: "#b35c00",
      backgroundColor: "rgba(0, 0, 0, 0)",
      borderWidth: 2,
      borderDash: [8, 5],
      pointStyle: "triangle",
      pointRadius: small ? 5 : 6,
      pointBackgroundColor: "#b35c00",
      fill: false,
      spanGaps: true,
      order: 2
    });
  }
  if (data.baseline) {
    datasets.push({
      label: "Your baseline",
      data: data.baseline,
      borderColor: "#6c757d",
      backgroundColor: "rgba(0, 0, 0, 0)",
      borderWidth: 2,
      borderDash: [2, 4],
      pointStyle: "rect",
      pointRadius: 4,
      pointBackgroundColor: "#6c757d",
      fill: false,
      order: 3
    });
  }

  new Chart(canvas, {
    type: "radar",
    data: { labels: labels, datasets: datasets },
    options: {
      responsive: true,
      maintainAspectRatio: true,
      aspectRatio: 1,
      animation: reduceMotion ? false : { duration: 400 },
      scales: {
        r: {
          min: 0,
          max: 100,
          ticks: { stepSize: 25, backdropColor: "rgba(255,255,255,0.8)", font: { size: 10 } },
          pointLabels: { font: { size: small ? 10 : 12 } }
        }
      },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 10 } },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              return ctx.dataset.label + ": " + (ctx.raw === null ? "—" : ctx.raw.toFixed(1));
            }
          }
        }
      }
    }
  });
})();
