/* Admin header: choosing a language in the select submits its form (without JavaScript, the form's
 * own button does). */
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
})();
