// Reads and writes the SpiffWorkflow extension elements of a diagram element
// (<bpmn:extensionElements><spiffworkflow:properties>..., preScript, calledDecisionId ...).
// Every write is one modeling command, so one edit is one undo step.
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

export const PROPERTIES = "spiffworkflow:Properties";

export default class SpiffExtensions {
  constructor(bpmnFactory, modeling) {
    this._factory = bpmnFactory;
    this._modeling = modeling;
  }

  _child(element, type) {
    const ext = getBusinessObject(element).get("extensionElements");
    return ext ? ext.get("values").find((v) => is(v, type)) : undefined;
  }

  _property(element, name) {
    const props = this._child(element, PROPERTIES);
    return props ? props.get("values").find((p) => p.get("name") === name) : undefined;
  }

  // The value of <spiffworkflow:property name=...>, "" when it is not set.
  property(element, name) {
    const prop = this._property(element, name);
    return (prop && prop.get("value")) || "";
  }

  // Sets the property; an empty value removes it (and the container it leaves empty).
  setProperty(element, name, value) {
    const props = this._child(element, PROPERTIES);
    const prop = this._property(element, name);
    if (prop && value) {
      this._modeling.updateModdleProperties(element, prop, { value });
    } else if (prop) {
      const rest = props.get("values").filter((p) => p !== prop);
      if (rest.length) this._modeling.updateModdleProperties(element, props, { values: rest });
      else this._remove(element, props);
    } else if (value) {
      const created = this._factory.create("spiffworkflow:Property", { name, value });
      if (props) {
        created.$parent = props;
        this._modeling.updateModdleProperties(element, props, { values: [...props.get("values"), created] });
      } else {
        const container = this._factory.create(PROPERTIES, { values: [created] });
        created.$parent = container;
        this._add(element, container);
      }
    }
  }

  // The text of a body element such as <spiffworkflow:preScript>, "" when absent.
  body(element, type) {
    const node = this._child(element, type);
    return (node && node.get("value")) || "";
  }

  setBody(element, type, value) {
    const node = this._child(element, type);
    if (node && value) this._modeling.updateModdleProperties(element, node, { value });
    else if (node) this._remove(element, node);
    else if (value) this._add(element, this._factory.create(type, { value }));
  }

  _add(element, node) {
    const bo = getBusinessObject(element);
    const ext = bo.get("extensionElements");
    if (ext) {
      node.$parent = ext;
      this._modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), node] });
      return;
    }
    const created = this._factory.create("bpmn:ExtensionElements", { values: [node] });
    node.$parent = created;
    created.$parent = bo;
    this._modeling.updateModdleProperties(element, bo, { extensionElements: created });
  }

  _remove(element, node) {
    const ext = getBusinessObject(element).get("extensionElements");
    this._modeling.updateModdleProperties(element, ext, { values: ext.get("values").filter((v) => v !== node) });
  }
}

SpiffExtensions.$inject = ["bpmnFactory", "modeling"];
