// The "Daiban" group of the properties panel: the settings the engine reads from a diagram
// (engine/task_properties.py), with the choices the server offers (forms, decision tables, roles,
// statuses) and the same checks validation makes, so an analyst needs no XML and no developer.
import {
  CheckboxEntry, Group, SelectEntry, TextAreaEntry, TextFieldEntry,
  isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

const fill = (template, value) => template.replace("{value}", value);
const names = (value) => value.split(",").map((n) => n.trim());

export default class DaibanPropertiesProvider {
  constructor(propertiesPanel, injector, config) {
    this._injector = injector;
    this._choices = config.choices;
    this._text = config.text;
    this._english = !(config.locale || "").startsWith("zh");
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      const entries = this._entries(element);
      if (!entries.length) return groups;
      const group = { id: "daiban", label: this._text.group, component: Group, entries, shouldOpen: true };
      const general = groups.findIndex((g) => g.id === "general");
      groups.splice(general + 1, 0, group);
      return groups;
    };
  }

  _entries(element) {
    const entries = [];
    if (is(element, "bpmn:Lane")) entries.push(this._role(element));
    if (is(element, "bpmn:UserTask")) {
      entries.push(this._form(element), this._timeLimit(element), this._deadlineKind(element), this._unit(element),
        this._resultVariable(element), this._returnFlag(element), this._caseFields(element),
        this._materialsCheck(element), this._suppliesMaterials(element), this._alongside(element));
    }
    if (is(element, "bpmn:BusinessRuleTask")) entries.push(this._decision(element));
    if (is(element, "bpmn:ScriptTask")) entries.push(this._script(element));
    if (is(element, "bpmn:FlowNode")) {
      entries.push(this._caseStatus(element), this._caseDeadline(element), this._notice(element));
    }
    if (is(element, "bpmn:Activity")) {
      entries.push(this._body(element, "daiban-pre-script", "spiffworkflow:PreScript", this._text.preScript),
        this._body(element, "daiban-post-script", "spiffworkflow:PostScript", this._text.postScript));
    }
    if (is(element, "bpmn:SequenceFlow")) entries.push(this._condition(element));
    return entries;
  }

  get _spiff() { return this._injector.get("spiffExtensions"); }
  get _debounce() { return this._injector.get("debounceInput"); }

  // A text property; `check` returns the problem shown under the field, and a value with a problem
  // is not written into the diagram.
  _textField(element, id, name, label, description, check) {
    return {
      id, component: TextFieldEntry, label, description, debounce: this._debounce, isEdited: isTextFieldEntryEdited,
      getValue: (el) => this._spiff.property(el, name),
      setValue: (value, problem) => { if (!problem) this._spiff.setProperty(element, name, (value || "").trim()); },
      validate: (value) => ((value || "").trim() ? check(value.trim()) : null),
    };
  }

  // A select over a property; a value the diagram holds but the choices lack stays visible, marked.
  _select(element, id, name, label, options, missing) {
    return {
      id, component: SelectEntry, label, isEdited: isSelectEntryEdited,
      getValue: (el) => this._spiff.property(el, name),
      setValue: (value) => this._spiff.setProperty(element, name, value),
      getOptions: (el) => {
        const current = this._spiff.property(el, name);
        const known = options.some((o) => o.value === current);
        return current && !known ? [...options, { value: current, label: fill(missing, current) }] : options;
      },
    };
  }

  _role(element) {
    const t = this._text;
    const options = this._choices.roles.map((r) => ({
      value: r.code, label: (this._english ? r.name_en : r.name) + " (" + r.code + ")" }));
    return {
      id: "daiban-role", component: SelectEntry, label: t.role, isEdited: isSelectEntryEdited,
      getValue: (el) => getBusinessObject(el).get("name") || "",
      setValue: (value) => this._injector.get("modeling").updateProperties(element, { name: value }),
      getOptions: (el) => {
        const current = getBusinessObject(el).get("name") || "";
        const known = options.some((o) => o.value === current);
        return known ? options : [{ value: current, label: fill(t.notRole, current) }, ...options];
      },
    };
  }

  _form(element) {
    const t = this._text;
    const forms = this._choices.forms.map((f) => ({
      value: f.file, label: (this._english ? f.title_en : f.title) + " (" + f.file + ")" }));
    return this._select(element, "daiban-form", "formJsonSchemaFilename", t.form,
      [{ value: "", label: t.noForm }, ...forms], t.missingForm);
  }

  _timeLimit(element) {
    const t = this._text;
    // Whole working days, or an expression over the task data (the server compiles it on validation).
    return this._textField(element, "daiban-time-limit", "time_limit_days", t.timeLimit, t.timeLimitHelp,
      (v) => (NUMBER.test(v) && !/^\d+$/.test(v) ? t.timeLimitInvalid : null));
  }

  _deadlineKind(element) {
    const t = this._text;
    const kinds = this._choices.deadline_kinds.map((k) => ({ value: k, label: t.deadlineKinds[k] || k }));
    return this._select(element, "daiban-deadline-kind", "deadline_kind", t.deadlineKind,
      [{ value: "", label: t.deadlineNormal }, ...kinds], t.unknownValue);
  }

  _unit(element) {
    const t = this._text;
    const units = this._choices.case_units;
    return this._textField(element, "daiban-unit", "unit", t.unit, t.unitHelp, (v) => {
      const [source, ...rest] = v.split(".");
      const name = rest.join(".");
      const ok = (source === "case" && units.includes(name)) || (source === "data" && NAME.test(name));
      return ok ? null : t.unitInvalid;
    });
  }

  // 退回 on such a task completes it with this variable true; the diagram routes the returned part.
  _returnFlag(element) {
    const t = this._text;
    return this._textField(element, "daiban-return-flag", "return_flag", t.returnFlag, t.returnFlagHelp,
      (v) => (NAME.test(v) ? null : t.nameInvalid));
  }

  // 容缺受理 / 补交: the form field claiming the materials complete (refused while some are missing unless
  // promised), and the form field whose materials are added to the item's record (never replacing it).
  _materialsCheck(element) {
    const t = this._text;
    return this._textField(element, "daiban-materials-check", "materials_check", t.materialsCheck,
      t.materialsCheckHelp, (v) => (NAME.test(v) ? null : t.nameInvalid));
  }

  _suppliesMaterials(element) {
    const t = this._text;
    return this._textField(element, "daiban-supplies-materials", "supplies_materials", t.suppliesMaterials,
      t.suppliesMaterialsHelp, (v) => (NAME.test(v) ? null : t.nameInvalid));
  }

  _resultVariable(element) {
    const t = this._text;
    return this._textField(element, "daiban-result-variable", "result_variable", t.resultVariable, t.resultVariableHelp,
      (v) => (NAME.test(v) ? null : t.nameInvalid));
  }

  _caseFields(element) {
    const t = this._text;
    const fields = this._choices.case_fields;
    return this._textField(element, "daiban-case-fields", "case_fields", t.caseFields,
      fill(t.caseFieldsHelp, fields.join(", ")),
      (v) => (names(v).every((n) => fields.includes(n)) ? null : t.caseFieldsInvalid));
  }

  _notice(element) {
    const t = this._text;
    return this._textField(element, "daiban-notice", "notice", t.notice, t.noticeHelp,
      (v) => (names(v).every((n) => NAME.test(n)) ? null : t.noticeInvalid));
  }

  _caseStatus(element) {
    const t = this._text;
    const statuses = this._choices.statuses.map((s) => ({ value: s, label: t.statuses[s] || s }));
    return this._select(element, "daiban-case-status", "case_status", t.caseStatus,
      [{ value: "", label: t.unchanged }, ...statuses], t.unknownValue);
  }

  // A task beside the main path (the window's written progress notice): it never holds the item.
  _alongside(element) {
    return {
      id: "daiban-alongside", component: CheckboxEntry, label: this._text.alongside, isEdited: isCheckboxEntryEdited,
      getValue: (el) => this._spiff.property(el, "alongside") === "true",
      setValue: (on) => this._spiff.setProperty(element, "alongside", on ? "true" : ""),
    };
  }

  _caseDeadline(element) {
    const t = this._text;
    return {
      id: "daiban-case-deadline", component: CheckboxEntry, label: t.caseDeadline, isEdited: isCheckboxEntryEdited,
      getValue: (el) => this._spiff.property(el, "case_deadline") === "restart",
      setValue: (on) => this._spiff.setProperty(element, "case_deadline", on ? "restart" : ""),
    };
  }

  _decision(element) {
    const t = this._text;
    const options = [{ value: "", label: t.noDecision },
      ...this._choices.decisions.map((d) => ({ value: d.id, label: d.name + " (" + d.id + ")" }))];
    const type = "spiffworkflow:CalledDecisionId";
    return {
      id: "daiban-decision", component: SelectEntry, label: t.decision, isEdited: isSelectEntryEdited,
      getValue: (el) => this._spiff.body(el, type),
      setValue: (value) => this._spiff.setBody(element, type, value),
      getOptions: (el) => {
        const current = this._spiff.body(el, type);
        return current && !options.some((o) => o.value === current)
          ? [...options, { value: current, label: fill(t.missingDecision, current) }] : options;
      },
    };
  }

  _body(element, id, type, label) {
    return {
      id, component: TextAreaEntry, label, debounce: this._debounce, monospace: true, rows: 3, autoResize: true,
      isEdited: isTextAreaEntryEdited,
      getValue: (el) => this._spiff.body(el, type),
      setValue: (value) => this._spiff.setBody(element, type, value || ""),
    };
  }

  _script(element) {
    return {
      id: "daiban-script", component: TextAreaEntry, label: this._text.script, debounce: this._debounce,
      monospace: true, rows: 3, autoResize: true, isEdited: isTextAreaEntryEdited,
      getValue: (el) => getBusinessObject(el).get("script") || "",
      setValue: (value) => this._injector.get("modeling").updateProperties(element, { script: value || undefined }),
    };
  }

  _condition(element) {
    const t = this._text;
    const flow = getBusinessObject(element);
    const source = flow.get("sourceRef");
    const isDefault = source && source.get("default") === flow;
    return {
      id: "daiban-condition", component: TextAreaEntry, label: t.condition, debounce: this._debounce,
      description: isDefault ? t.defaultFlow : t.conditionHelp, monospace: true, rows: 2, autoResize: true,
      isEdited: isTextAreaEntryEdited,
      getValue: (el) => {
        const expression = getBusinessObject(el).get("conditionExpression");
        return (expression && expression.get("body")) || "";
      },
      setValue: (value) => {
        const modeling = this._injector.get("modeling");
        const target = element;
        if (!(value || "").trim()) {
          modeling.updateProperties(target, { conditionExpression: undefined });
          return;
        }
        const expression = this._injector.get("bpmnFactory").create("bpmn:FormalExpression", { body: value });
        modeling.updateProperties(target, { conditionExpression: expression });
      },
    };
  }
}

DaibanPropertiesProvider.$inject = ["propertiesPanel", "injector", "config.daiban"];
