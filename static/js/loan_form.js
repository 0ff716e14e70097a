/* Loan application form: shows the catalogue price of the item picked on each line (the option's
 * data-price). The server prices the lines again, so without JavaScript nothing is lost. */
(function () {
  "use strict";
  document.querySelectorAll(".loan-lines tbody tr").forEach(function (row) {
    var select = row.querySelector("select");
    var price = row.querySelector("input.unit-price");
    if (!select || !price) {
      return;
    }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      price.value = option && option.dataset.price ? option.dataset.price : "";
    });
  });
})();
