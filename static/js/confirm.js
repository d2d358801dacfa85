// One confirmation for every action that cannot be undone (submit, accept,
// approve, certify, delete): a button or form with data-confirm="…" asks once
// with window.confirm before the form is sent. No inline scripts (CSP).
(function () {
  document.addEventListener(
    "submit",
    function (e) {
      var button = e.submitter;
      var text =
        (button && button.getAttribute("data-confirm")) ||
        e.target.getAttribute("data-confirm");
      if (text && !window.confirm(text)) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    },
    true
  );
})();
