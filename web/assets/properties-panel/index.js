// The modeler's properties panel: bpmn-js-properties-panel's standard BPMN groups plus the Daiban
// group. Bundled by esbuild (npm run build, run by scripts/setup) into one script, because the
// panel's entry components are ESM only and must share one Preact with the panel.
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";

import SpiffExtensions from "./extensions.js";
import DaibanPropertiesProvider from "./provider.js";

const DaibanPropertiesModule = {
  __init__: ["daibanPropertiesProvider"],
  daibanPropertiesProvider: ["type", DaibanPropertiesProvider],
  spiffExtensions: ["type", SpiffExtensions],
};

window.DaibanPropertiesPanel = {
  modules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, DaibanPropertiesModule],
};
