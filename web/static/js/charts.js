// Draws each [data-chart] element with ECharts: bars for counts, lines for rates (right axis, percent).
// The same numbers are in the table beside the chart; the chart is only a picture of them.
document.querySelectorAll("[data-chart]").forEach(function (el) {
  var spec = JSON.parse(el.dataset.chart);
  var chart = echarts.init(el, null, { renderer: "svg" });
  var series = spec.bars.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    .concat(spec.lines.map(function (s) {
      return { name: s.name, type: "line", yAxisIndex: 1, data: s.data.map(function (v) { return Math.round(v * 1000) / 10; }) };
    }));
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 50, bottom: 60, top: 50 },
    xAxis: { type: "category", data: spec.labels, axisLabel: { rotate: spec.labels.length > 6 ? 30 : 0 } },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.ready = "1";
});
