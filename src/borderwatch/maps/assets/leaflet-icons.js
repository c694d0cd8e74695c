/* Points L.Icon.Default at inlined images (data: URIs, in the JSON block
   #bw-leaflet-icons just before this script), so that plain L.marker works offline. */
(function () {
  "use strict";
  var node = document.getElementById("bw-leaflet-icons");
  if (!node || !window.L || !L.Icon || !L.Icon.Default) { return; }
  L.Icon.Default.imagePath = "";
  L.Icon.Default.mergeOptions(JSON.parse(node.textContent));
})();
