// Progressive enhancement: the unit list offers only the units that fit the chosen measure
// (local_plans/measures.yaml). Without JavaScript the server does the same once a measure is
// chosen, and refuses a unit that does not fit, naming the units that do.
(function () {
  "use strict";
  var data = document.getElementById("units-by-measure");
  var measure = document.getElementById("measure");
  var unit = document.getElementById("unit");
  if (!data || !measure || !unit) { return; }
  var units;
  try { units = JSON.parse(data.textContent); } catch (e) { return; }
  // The server's own list, for when no measure (or an unknown one) is chosen.
  var original = Array.prototype.map.call(unit.options, function (o) { return [o.value, o.text]; });

  function fill() {
    var chosen = units[measure.value];
    var options = chosen ? [original[0]].concat(chosen) : original;
    var current = unit.value;
    while (unit.options.length) { unit.remove(0); }
    options.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];  // text only: labels are data, never markup
      unit.appendChild(option);
    });
    var keep = options.some(function (pair) { return pair[0] === current; });
    unit.value = keep ? current : (chosen && chosen.length === 1 ? chosen[0][0] : "");
  }

  measure.addEventListener("change", fill);
  fill();
})();
