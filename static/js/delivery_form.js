/* Delivery form: shows the typed quantity in kilograms as it is typed (1 qq = 46 kg, 1 bag = 69 kg).
 * The server shows the same figure after a submission, and stores it; without JavaScript nothing is lost.
 * The units' kilograms come from the unit select's data-unit-kg ("kg:1,qq:46,bag69:69"). */
(function () {
  "use strict";
  var quantity = document.getElementById("id_quantity");
  var unit = document.getElementById("id_unit");
  var output = document.getElementById("quantity-kg");
  if (!quantity || !unit || !output) {
    return;
  }
  var factors = {};
  (unit.getAttribute("data-unit-kg") || "").split(",").forEach(function (pair) {
    var parts = pair.split(":");
    factors[parts[0]] = Number(parts[1]);
  });
  var locale = document.documentElement.lang || undefined;

  function update() {
    var typed = Number(quantity.value);
    var factor = factors[unit.value];
    if (!quantity.value || !isFinite(typed) || typed <= 0 || !factor) {
      output.textContent = "";
      return;
    }
    // Whole céntimos of a kilogram, as stored (two decimals times a whole number of kilograms).
    var kg = Math.round(typed * 100) * factor / 100;
    var text = kg.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    output.textContent = output.getAttribute("data-template").replace("%(kg)s", text);
  }

  quantity.addEventListener("input", update);
  unit.addEventListener("change", update);
  update();
})();
