"""The dashboard's CSS, in one ``<style>`` block (no external assets: the dashboard works
offline). Colours users know from paper cahiers: bank in blue, cash in green."""

BANK_COLOR = "#1d4ed8"
CASH_COLOR = "#15803d"
ERROR_COLOR = "#b91c1c"
WARN_BG = "#fff7ed"

CSS = f"""
<style>
body, .jp-Notebook, .widget-html-content {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
.rk-app .widget-html-content {{ line-height: 1.35; }}
.rk-app .widget-html, .rk-app .widget-html-content {{ height: auto; }}
.rk-app {{ max-width: 1320px; margin: 0 auto; box-sizing: border-box; }}
.rk-app * {{ box-sizing: border-box; }}
.rk-header {{ background: #0f172a; color: #f8fafc; border-radius: 10px; padding: 8px 14px; margin-bottom: 6px;
              align-items: center; }}
.rk-header .widget-html-content {{ color: #f8fafc; }}
.rk-header .widget-dropdown select {{ background: #1e293b; color: #f8fafc; border-radius: 6px; }}
.rk-header .widget-label {{ color: #cbd5e1; }}
.rk-coop {{ font-size: 18px; font-weight: 650; line-height: 1.2; }}
.rk-coop small {{ display: block; font-size: 12px; font-weight: 400; color: #94a3b8; }}
.rk-kpis {{ display: flex; gap: 10px; }}
.rk-header a.rk-logout {{ color: #f8fafc; border: 1px solid #64748b; border-radius: 6px; padding: 6px 10px;
  margin-left: 12px; white-space: nowrap; text-decoration: none; font-size: 13px; }}
.rk-header a.rk-logout:hover, .rk-header a.rk-logout:focus {{ background: #1e293b; outline: 2px solid #93c5fd; }}
.rk-kpi {{ background: #1e293b; border-radius: 8px; padding: 3px 12px; min-width: 118px; line-height: 1.25; }}
.rk-kpi b {{ display: block; font-size: 16px; }}
.rk-kpi span {{ font-size: 11px; color: #94a3b8; text-transform: uppercase; letter-spacing: .04em; }}
.rk-kpi.bank b {{ color: #93c5fd; }} .rk-kpi.cash b {{ color: #86efac; }}
.rk-kpi.alerts b {{ color: #fdba74; }} .rk-kpi.ok b {{ color: #86efac; }}
.rk-card {{ background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; padding: 10px 14px; margin: 4px 0; }}
.rk-title {{ font-size: 15px; font-weight: 650; color: #0f172a; margin: 0 0 4px 0; }}
.rk-help {{ font-size: 12px; color: #64748b; }}
.rk-field {{ margin-right: 8px; }}
.rk-field > .widget-label, .rk-lbl {{ font-size: 12px; color: #475569; font-weight: 600; margin: 0; height: 18px; line-height: 18px; }}
.rk-err {{ color: {ERROR_COLOR}; font-size: 12px; line-height: 1.3; }}
.rk-err:empty {{ display: none; }}
.rk-invalid input, .rk-invalid select {{ border-color: {ERROR_COLOR} !important; background: #fef2f2; }}
.rk-status {{ font-size: 14px; }}
.rk-ok {{ background: #ecfdf5; color: #065f46; border: 1px solid #a7f3d0; border-radius: 8px; padding: 6px 10px; }}
.rk-ko {{ background: #fef2f2; color: {ERROR_COLOR}; border: 1px solid #fecaca; border-radius: 8px; padding: 6px 10px; }}
.rk-ko ul {{ margin: 2px 0 0 0; padding-left: 18px; }}
.rk-warn {{ background: {WARN_BG}; color: #9a3412; border: 1px solid #fdba74; border-radius: 8px; padding: 6px 10px;
            margin-top: 4px; font-size: 13.5px; }}
.rk-warn ul {{ margin: 2px 0 0 0; padding-left: 18px; }}
.rk-info {{ background: #eff6ff; color: #1e3a8a; border: 1px solid #bfdbfe; border-radius: 8px; padding: 6px 10px; }}
.rk-reste {{ font-weight: 650; padding: 4px 10px; border-radius: 6px; display: inline-block; }}
.rk-reste.zero {{ background: #dcfce7; color: {CASH_COLOR}; }}
.rk-reste.todo {{ background: #fef3c7; color: #92400e; }}
.rk-reste.over {{ background: #fee2e2; color: {ERROR_COLOR}; }}
.rk-bankbtn button.mod-active, .rk-bankbtn .mod-active {{ }}
.rk-treso button:nth-child(1).mod-active {{ background: {BANK_COLOR}; color: white; }}
.rk-treso button:nth-child(2).mod-active {{ background: {CASH_COLOR}; color: white; }}
.rk-sens button.mod-active {{ background: #334155; color: white; }}
.rk-primary button, button.rk-primary {{ font-weight: 650; }}
.rk-vrow {{ align-items: flex-start; }}
.rk-table {{ border-collapse: collapse; width: 100%; font-size: 12.5px; font-variant-numeric: tabular-nums; }}
.rk-table th {{ position: sticky; top: 0; background: #f1f5f9; color: #334155; text-align: left; font-weight: 600;
               padding: 5px 6px; border-bottom: 1px solid #cbd5e1; white-space: nowrap; }}
.rk-table td {{ padding: 4px 6px; border-bottom: 1px solid #eef2f7; vertical-align: top; }}
.rk-table td.n, .rk-table th.n {{ text-align: right; white-space: nowrap; }}
.rk-table .rk-prev {{ color: #475569; background: #f8fafc; }}
.rk-table tr.rk-rubric td {{ background: #f1f5f9; }}
.rk-table tr:hover td {{ background: #f8fafc; }}
.rk-table .bank {{ color: {BANK_COLOR}; }} .rk-table .cash {{ color: {CASH_COLOR}; }}
.rk-table .neg {{ font-weight: 650; }}
.rk-table .vent {{ color: #475569; font-size: 11.5px; }}
.rk-table .tiers {{ color: #64748b; font-size: 11.5px; }}
.rk-table tr.warn td {{ background: {WARN_BG}; }}
.rk-table tr.why td {{ background: {WARN_BG}; color: #9a3412; font-size: 12px; padding-top: 0; }}
.rk-table tr.total td {{ font-weight: 700; border-top: 2px solid #cbd5e1; }}
.rk-scroll {{ max-height: 430px; overflow-y: auto; border: 1px solid #e2e8f0; border-radius: 8px; }}
.rk-big {{ font-size: 22px; font-weight: 700; }}
.rk-cards {{ display: flex; gap: 8px; flex-wrap: nowrap; }}
.rk-bilan-cards .rk-big {{ font-size: 18px; }}
.rk-stat {{ flex: 1; min-width: 120px; background: #f8fafc; border: 1px solid #e2e8f0; border-radius: 10px; padding: 8px 12px; }}
.rk-stat span {{ font-size: 11px; color: #64748b; text-transform: uppercase; letter-spacing: .04em; }}
.rk-good {{ color: {CASH_COLOR}; }} .rk-bad {{ color: {ERROR_COLOR}; }}
.rk-pill {{ display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; background: #e2e8f0; }}
.rk-confirm {{ background: #fffbeb; border: 1px solid #fcd34d; border-radius: 8px; padding: 6px 10px; align-items: center; }}
.rk-tabs .lm-TabBar-tab, .rk-tabs .p-TabBar-tab {{ font-size: 14px; }}
/* tabs as wide as their French labels (ipywidgets gives every tab 144 px: « Pièces justificativ… ») */
.rk-tabs.jupyter-widgets > .lm-TabBar .lm-TabBar-tab, .rk-tabs.jupyter-widgets > .p-TabBar .p-TabBar-tab {{
  flex: 0 0 auto; min-width: 96px; max-width: none; padding: 0 16px; }}
.rk-coin .widget-label {{ width: 120px; }}
.rk-lockbanner {{ background: #fef3c7; color: #78350f; border: 1px solid #f59e0b; border-radius: 8px; padding: 7px 12px;
                   margin: 0 0 6px 0; font-size: 14px; }}
.rk-checklist {{ list-style: none; margin: 4px 0; padding: 0; font-size: 13px; }}
.rk-checklist li.rk-check {{ padding: 2px 0; }}
.rk-checklist li.ok {{ color: #065f46; }} .rk-checklist li.ko {{ color: {ERROR_COLOR}; font-weight: 600; }}
.rk-checklist li.ko ul {{ font-weight: 400; color: #7f1d1d; margin: 0; padding-left: 22px; list-style: disc; }}
.rk-export .widget-button {{ text-align: left; }}
.voila-spinner-color1 {{ }}
/* the date: typed text first; the calendar is only its icon (Chromium's segmented date
   typing is what turned « 15032026 » into year 32026) */
.rk-datefield {{ gap: 4px; }}
.rk-datepick input[type=date] {{ width: 40px; padding: 0 6px; color: transparent; }}
.rk-datepick input[type=date]::-webkit-datetime-edit {{ display: none; }}
.rk-datepick input[type=date]::-webkit-calendar-picker-indicator {{ margin: 0; cursor: pointer; }}
/* accessible names of inputs whose visible label is drawn above them (common.name_input) */
.rk-named > .widget-label {{ position: absolute !important; width: 1px !important; height: 1px !important;
  min-width: 0 !important; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; padding: 0; margin: 0; }}
/* buttons' colours with readable text (contrast ≥ 4.5:1) */
.rk-app .jupyter-button.mod-warning {{ background: #b45309; color: #fff; }}
.rk-app .jupyter-button.mod-danger {{ background: #b91c1c; color: #fff; }}
.rk-app .jupyter-button.mod-success {{ background: #15803d; color: #fff; }}
.rk-app .jupyter-button.mod-primary {{ background: #1d4ed8; color: #fff; }}
.rk-scroll:focus-visible {{ outline: 3px solid #2563eb; }}
/* tab labels readable (contrast ≥ 4.5:1) */
.rk-tabs.jupyter-widgets > .lm-TabBar .lm-TabBar-tab {{ color: #1e293b; background: #f1f5f9; }}
.rk-tabs.jupyter-widgets > .lm-TabBar .lm-TabBar-tab.lm-mod-current {{ color: #0f172a; background: #fff; }}
.rk-unexpected:empty, .rk-unexpected .widget-html-content:empty {{ display: none; }}
/* visible focus for keyboard users */
.rk-app input:focus-visible, .rk-app select:focus-visible, .rk-app textarea:focus-visible,
.rk-app button:focus-visible {{ outline: 3px solid #2563eb; outline-offset: 1px; }}
/* tablets: rows wrap, tabs wrap, nothing wider than the screen */
@media (max-width: 1000px) {{
  .rk-app .widget-hbox {{ flex-wrap: wrap; }}
  .rk-app {{ max-width: 100vw; }}
  .rk-tabs.jupyter-widgets > .lm-TabBar {{ min-height: auto; }}
  .rk-tabs.jupyter-widgets > .lm-TabBar > .lm-TabBar-content {{ flex-wrap: wrap; }}
  .rk-tabs.jupyter-widgets > .lm-TabBar .lm-TabBar-tab {{ min-width: 0; padding: 0 10px; margin-bottom: 2px; }}
  .rk-app .widget-hbox > .rk-field, .rk-app .widget-hbox > .widget-text, .rk-app .widget-hbox > .widget-combobox {{
    max-width: 100%; }}
  .rk-scroll {{ overflow-x: auto; }}
  .rk-cards {{ flex-wrap: wrap; }}
}}
/* phones: one field per line, full width; the header stacks */
@media (max-width: 600px) {{
  .rk-app .rk-field {{ width: 100% !important; margin-right: 0; }}
  .rk-app .rk-field .widget-text, .rk-app .rk-field .widget-combobox, .rk-app .rk-field .widget-dropdown,
  .rk-app .rk-vrow > .widget-text, .rk-app .rk-vrow > .widget-combobox {{ width: 100% !important; }}
  .rk-app .rk-datefield .rk-datetext {{ width: calc(100% - 48px) !important; }}
  .rk-header {{ flex-direction: column; align-items: stretch; }}
  .rk-kpis {{ flex-wrap: wrap; }}
  .rk-kpi {{ min-width: 0; flex: 1 1 30%; }}
  .rk-app .widget-toggle-buttons {{ flex-wrap: wrap; }}
  .rk-card {{ padding: 8px; }}
  .rk-app .rk-datefield {{ flex-wrap: nowrap !important; }}
  .rk-app .rk-field input, .rk-app .rk-vrow input {{ min-width: 0; }}
  .rk-app .widget-text, .rk-app .widget-combobox {{ min-width: 0; }}
  .rk-kpi b {{ white-space: nowrap; font-size: 14px; }}
  .rk-lbl {{ height: auto !important; }}
}}
</style>
"""
