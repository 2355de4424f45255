// Task forms: show an agreement's items (People's Mediation Law Art. 28, 29) only when the step reached an
// agreement — the written agreement's own items only for a written one — and each referral field only for
// its result. Without JavaScript every field shows, and the server checks the same rules.
(function () {
  "use strict";
  const form = document.querySelector('[data-testid="task-form"]');
  const result = form && form.querySelector('select[name="result"]');
  if (!result) return;
  const agreementForm = form.querySelector('select[name="agreement_form"]');
  const writtenOnly = ["parties_particulars", "disputed_matters", "responsibilities"];
  const shownFor = {
    agreement_form: ["agreement"], parties_particulars: ["agreement"], facts: ["agreement"],
    disputed_matters: ["agreement"], responsibilities: ["agreement"], agreement_terms: ["agreement"],
    performance_method: ["agreement"], performance_deadline: ["agreement"], judicial_confirmation: ["agreement"],
    referral_body: ["referred"], referral_route: ["ended"],
  };

  function update() {
    const written = !agreementForm || agreementForm.value !== "oral";
    for (const [name, results] of Object.entries(shownFor)) {
      const input = form.querySelector('[name="' + name + '"]');
      const wrapper = input && input.closest(".field");
      if (!wrapper) continue;
      const hasError = wrapper.classList.contains("has-error");
      wrapper.hidden = !hasError && (!results.includes(result.value) || (writtenOnly.includes(name) && !written));
    }
  }

  result.addEventListener("change", update);
  if (agreementForm) agreementForm.addEventListener("change", update);
  update();
})();
