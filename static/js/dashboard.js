/* Dashboard charts: each <canvas data-chart="ID"> draws the JSON of the <script id="ID"> (json_script).
 * The page shows the same numbers as tables, so without JavaScript (or without Chart.js) nothing is lost.
 * No inline script and no external request: Chart.js is vendored under static/vendor/chartjs. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  var palette = ["#2e7d32", "#8d6e63", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#c62828", "#9e9d24"];
  var locale = document.documentElement.lang || undefined;

  function colours(count, offset) {
    var result = [];
    for (var i = 0; i < count; i += 1) {
      result.push(palette[(i + offset) % palette.length]);
    }
    return result;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var single = spec.datasets.length === 1;
    var stacked = Boolean(spec.stacked);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          return {
            label: dataset.label,
            data: dataset.data.map(Number),
            // One series: a colour per bar; several (stacked): a colour per series.
            backgroundColor: single ? colours(spec.labels.length, 0) : palette[index % palette.length],
          };
        }),
      },
      options: {
        locale: locale,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: !single, position: "bottom" } },
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true },
        },
      },
    });
  });
})();
