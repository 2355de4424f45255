/* The designer's texts in the reader's language, from the JSON the page renders
   (templates/designer/_messages.html). `JiefenDesigner.text("deployed", {version: 2})` fills in each
   {name}; the result is plain text, for textContent only. */
(function () {
  "use strict";
  var source = document.getElementById("designer-messages");
  var messages = source ? JSON.parse(source.textContent) : {};
  window.JiefenDesigner = {
    text: function (key, values) {
      var message = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
      return message.replace(/\{(\w+)\}/g, function (placeholder, name) {
        return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : placeholder;
      });
    }
  };
}());
