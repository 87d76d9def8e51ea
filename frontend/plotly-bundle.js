// The plotly.js bundle of okrplan (`make vendor` builds it with esbuild into static/vendor/plotly.min.js): the core
// (with scatter) and exactly the trace types our figures use, instead of the complete bundle (4.8 MB, ~1.5 MB
// compressed). Where each is used: bar (board: attribution, spend; budgets: plan vs actual), pie (budgets: bound
// share), funnel and indicator (board), icicle (board: OKR progress), treemap (budgets), sunburst (cascade).
// A new trace type in a figure (reporting/charts.py, budgets/charts.py, objectives/charts*.py) goes here too;
// tests/test_plotly_bundle.py checks that every type the figures use is registered.
var Plotly = require("plotly.js/lib/core");

Plotly.register([
  require("plotly.js/lib/bar"),
  require("plotly.js/lib/pie"),
  require("plotly.js/lib/funnel"),
  require("plotly.js/lib/indicator"),
  require("plotly.js/lib/icicle"),
  require("plotly.js/lib/treemap"),
  require("plotly.js/lib/sunburst"),
]);

module.exports = Plotly;
