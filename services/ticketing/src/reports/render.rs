//! The report as CSV (one figure a row: section, key, value) and as an HTML page for people:
//! the figures in tables and three charts drawn on the server as SVG with `plotters` —
//! failures by category, the months side by side, SLA compliance per priority — in the
//! tenant's language (`zh-CN` or `en`) and with times in its time zone.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::MonthlyReport;

fn zh(locale: &str) -> bool {
    locale == "zh-CN"
}

/// A label in the report's language.
fn label(locale: &str, key: &str) -> String {
    let pairs: &[(&str, &str, &str)] = &[
        ("title", "Monthly IT service report", "月度 IT 服务报告"),
        ("provider", "All tenants", "全部租户"),
        ("tickets", "Tickets", "工单"),
        ("failures", "Failures (incidents)", "故障（事件）"),
        ("by_type", "Tickets by type", "按类型的工单"),
        ("by_category", "Failures by category", "按类别的故障"),
        ("per_seat", "Failures per 100 seats", "每百席位故障数"),
        ("resolved", "Resolved", "已解决"),
        ("remote", "Resolved remotely", "远程解决"),
        ("onsite", "Resolved on site", "现场解决"),
        ("arrive", "Average time to arrive on site (min)", "平均到场时间（分钟）"),
        ("on_site", "Average time on site (min)", "平均现场处理时间（分钟）"),
        ("resolve", "Average time to resolve (min)", "平均解决时长（分钟）"),
        ("sla", "SLA compliance", "SLA 达成率"),
        ("metric", "Target", "指标"),
        ("priority", "Priority", "优先级"),
        ("met", "Met", "达成"),
        ("breached", "Breached", "违约"),
        ("compliance", "Compliance", "达成率"),
        ("breaches", "Breaches", "违约次数"),
        ("credits", "Service credits", "服务抵扣"),
        ("satisfaction", "Satisfaction (1–5)", "满意度（1–5）"),
        ("complaints", "Complaints", "投诉"),
        ("complaint_rate", "Complaint rate", "投诉率"),
        ("backlog", "Open at month end", "月末未结工单"),
        ("trend", "This month beside earlier months", "与往月对比"),
        ("period", "Month", "月份"),
        ("first_response", "First response", "首次响应"),
        ("resolution", "Resolution", "解决"),
        ("metric_onsite", "On-site arrival", "到场"),
        ("incident", "Incidents", "事件"),
        ("service_request", "Service requests", "服务请求"),
        ("problem", "Problems", "问题"),
        ("change", "Changes", "变更"),
        ("network", "Network", "网络"),
        ("virus_security", "Virus / security", "病毒 / 安全"),
        ("software", "Software", "软件"),
        ("hardware", "Hardware", "硬件"),
        ("other", "Other", "其他"),
        ("generated", "Generated", "生成时间"),
        ("tenants", "Tenants", "租户"),
        ("none", "no data", "无数据"),
    ];
    pairs
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, cn)| if zh(locale) { *cn } else { *en }.to_owned())
        .unwrap_or_else(|| key.to_owned())
}

fn pct(bp: Option<u32>) -> String {
    bp.map(|b| format!("{}.{:02} %", b / 100, b % 100)).unwrap_or_else(|| "–".into())
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "–".into())
}

fn money(minor: i64) -> String {
    format!("{}{}.{:02}", if minor < 0 { "-" } else { "" }, minor.abs() / 100, minor.abs() % 100)
}

pub fn csv(r: &MonthlyReport) -> String {
    let f = &r.figures;
    let mut rows: Vec<(String, String, String)> = vec![
        ("report".into(), "period".into(), r.period.clone()),
        ("report".into(), "tenant".into(), r.tenant_key.clone().unwrap_or_else(|| "*".into())),
        ("report".into(), "timezone".into(), r.timezone.clone()),
        ("tickets".into(), "total".into(), f.tickets.to_string()),
    ];
    rows.extend(f.by_type.iter().map(|(k, v)| ("tickets_by_type".into(), k.clone(), v.to_string())));
    rows.push(("failures".into(), "total".into(), f.failures.to_string()));
    rows.extend(
        f.failures_by_category.iter().map(|(k, v)| ("failures_by_category".into(), k.clone(), v.to_string())),
    );
    rows.push(("failures".into(), "per_100_seats".into(), opt(f.failures_per_100_seats)));
    for (k, v) in [
        ("resolved", f.resolved),
        ("resolved_remotely", f.resolved_remotely),
        ("resolved_on_site", f.resolved_on_site),
        ("onsite_visits", f.onsite_visits),
    ] {
        rows.push(("resolution".into(), k.into(), v.to_string()));
    }
    rows.push(("onsite".into(), "avg_minutes_to_arrive".into(), opt(f.avg_minutes_to_arrive)));
    rows.push(("onsite".into(), "avg_minutes_on_site".into(), opt(f.avg_minutes_on_site)));
    rows.push(("resolution".into(), "avg_minutes_to_resolve".into(), opt(f.avg_minutes_to_resolve)));
    for c in &f.sla {
        rows.push((
            "sla".into(),
            format!("{}:{}", c.metric, c.priority),
            format!("{}/{} {}", c.met, c.tickets, c.compliance_bp),
        ));
    }
    rows.push(("sla".into(), "overall_bp".into(), opt(f.sla_compliance_bp)));
    rows.extend(f.breaches.iter().map(|(k, v)| ("breaches".into(), k.clone(), v.to_string())));
    if let Some(c) = &r.credits {
        rows.push(("credits".into(), "amount".into(), money(c.amount_minor)));
        rows.push(("credits".into(), "currency".into(), c.currency.clone().unwrap_or_default()));
    }
    rows.push(("satisfaction".into(), "responses".into(), f.feedback_responses.to_string()));
    rows.push(("satisfaction".into(), "average".into(), opt(f.satisfaction)));
    rows.push(("satisfaction".into(), "complaints".into(), f.complaints.to_string()));
    rows.push(("satisfaction".into(), "complaint_rate_bp".into(), opt(f.complaint_rate_bp)));
    rows.push(("backlog".into(), "open_at_end".into(), f.backlog.to_string()));
    for p in &r.trend {
        rows.push(("trend".into(), format!("{}:failures", p.period), p.failures.to_string()));
        rows.push(("trend".into(), format!("{}:resolved", p.period), p.resolved.to_string()));
        rows.push(("trend".into(), format!("{}:sla_compliance_bp", p.period), opt(p.sla_compliance_bp)));
    }
    for t in &r.tenants {
        rows.push((
            "tenant".into(),
            t.tenant_id.to_string(),
            format!("{} failures, {} resolved", t.failures, t.resolved),
        ));
    }
    let mut out = canopy_kernel::csv::Writer::new(&["section", "key", "value"]);
    for (a, b, c) in rows {
        out.row([a, b, c]);
    }
    out.finish()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const TEAL: RGBColor = RGBColor(0x0f, 0x76, 0x6e);
const AMBER: RGBColor = RGBColor(0xd9, 0x77, 0x06);
const FONT: &str = "sans-serif";

/// Bars of `values` labelled below; an SVG document.
fn bars(title: &str, labels: &[String], values: &[f64], max: f64, unit: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 320)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = labels.len().max(1) as u32;
        let top = if max > 0.0 { max * 1.15 } else { 1.0 };
        let chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 24))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            // A discrete range holds both its ends: 0..n−1 is n bars.
            .build_cartesian_2d((0u32..n - 1).into_segmented(), 0f64..top);
        if let Ok(mut chart) = chart {
            let _ = chart
                .configure_mesh()
                .disable_x_mesh()
                .y_desc(unit)
                .x_labels(labels.len().max(1))
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                        labels.get(*i as usize).cloned().unwrap_or_default()
                    }
                    SegmentValue::Last => String::new(),
                })
                .label_style((FONT, 17))
                .draw();
            let _ = chart.draw_series(values.iter().enumerate().map(|(i, v)| {
                let i = i as u32;
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *v)],
                    TEAL.filled(),
                );
                bar.set_margin(0, 0, 12, 12);
                bar
            }));
        }
        let _ = root.present();
    }
    svg
}

/// Lines of failures and resolved tickets over the months.
fn trend(title: &str, r: &MonthlyReport, failures: &str, resolved: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 320)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = r.trend.len().max(1);
        let max = r.trend.iter().map(|p| p.failures.max(p.resolved)).max().unwrap_or(0).max(1) as f64 * 1.2;
        let chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 24))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..max);
        if let Ok(mut chart) = chart {
            let periods: Vec<String> = r.trend.iter().map(|p| p.period.clone()).collect();
            let _ = chart
                .configure_mesh()
                .x_labels(n)
                .x_label_formatter(&|x| {
                    let i = x.round();
                    if (x - i).abs() < 0.01 && i >= 0.0 {
                        periods.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .label_style((FONT, 17))
                .draw();
            for (name, colour, pick) in [
                (failures, TEAL, (|p: &super::TrendPoint| p.failures) as fn(&super::TrendPoint) -> u32),
                (resolved, AMBER, |p: &super::TrendPoint| p.resolved),
            ] {
                let points: Vec<(f64, f64)> =
                    r.trend.iter().enumerate().map(|(i, p)| (i as f64, f64::from(pick(p)))).collect();
                if let Ok(series) = chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))
                {
                    series.label(name).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
                    });
                }
                let _ = chart.draw_series(points.into_iter().map(|p| Circle::new(p, 4, colour.filled())));
            }
            let _ = chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.3))
                .label_font((FONT, 17))
                .draw();
        }
        let _ = root.present();
    }
    svg
}

pub fn html(r: &MonthlyReport) -> String {
    let l = |k: &str| label(&r.locale, k);
    let f = &r.figures;
    let who = r.tenant_key.clone().unwrap_or_else(|| l("provider"));
    let categories: Vec<String> = f.failures_by_category.keys().map(|k| l(k)).collect();
    let counts: Vec<f64> = f.failures_by_category.values().map(|v| f64::from(*v)).collect();
    let max = counts.iter().copied().fold(0.0, f64::max);
    let chart_categories = bars(&l("by_category"), &categories, &counts, max, &l("failures"));
    let chart_trend = trend(&l("trend"), r, &l("failures"), &l("resolved"));
    let metric = |m: &str| if m == "onsite" { l("metric_onsite") } else { l(m) };
    let sla_labels: Vec<String> =
        f.sla.iter().map(|c| format!("{} {}", metric(&c.metric), c.priority)).collect();
    let sla_values: Vec<f64> = f.sla.iter().map(|c| f64::from(c.compliance_bp) / 100.0).collect();
    let chart_sla = bars(&l("sla"), &sla_labels, &sla_values, 100.0, "%");
    let tz: jiff::tz::TimeZone = jiff::tz::TimeZone::get(&r.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let generated = jiff::Timestamp::from_second(r.generated_at.timestamp())
        .map(|t| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_default();

    let mut rows = String::new();
    let mut row = |k: &str, v: String| {
        let _ = write!(rows, "<tr><th>{}</th><td>{}</td></tr>", esc(&l(k)), esc(&v));
    };
    row("tickets", f.tickets.to_string());
    row("failures", f.failures.to_string());
    row("per_seat", opt(f.failures_per_100_seats));
    row("resolved", f.resolved.to_string());
    row("remote", f.resolved_remotely.to_string());
    row("onsite", f.resolved_on_site.to_string());
    row("arrive", opt(f.avg_minutes_to_arrive));
    row("on_site", opt(f.avg_minutes_on_site));
    row("resolve", opt(f.avg_minutes_to_resolve));
    row("sla", pct(f.sla_compliance_bp));
    row("breaches", f.breaches.values().sum::<u32>().to_string());
    if let Some(c) = &r.credits {
        row("credits", format!("{} {}", money(c.amount_minor), c.currency.clone().unwrap_or_default()));
    }
    row("satisfaction", opt(f.satisfaction));
    row("complaints", f.complaints.to_string());
    row("complaint_rate", pct(f.complaint_rate_bp));
    row("backlog", f.backlog.to_string());

    let mut by_type = String::new();
    for (k, v) in &f.by_type {
        let _ = write!(by_type, "<tr><th>{}</th><td>{v}</td></tr>", esc(&l(k)));
    }
    let mut sla = String::new();
    for c in &f.sla {
        let _ = write!(
            sla,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&metric(&c.metric)),
            esc(&c.priority),
            c.met,
            c.breached,
            pct(Some(c.compliance_bp))
        );
    }
    let mut months = String::new();
    for p in &r.trend {
        let _ = write!(
            months,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.period),
            p.failures,
            p.resolved,
            opt(p.avg_minutes_to_arrive),
            pct(p.sla_compliance_bp),
            pct(p.complaint_rate_bp)
        );
    }
    let mut tenants = String::new();
    if !r.tenants.is_empty() {
        let _ = write!(
            tenants,
            "<section><h2>{}</h2><table><tr><th>ID</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            esc(&l("tenants")),
            esc(&l("failures")),
            esc(&l("resolved")),
            esc(&l("sla")),
            esc(&l("backlog"))
        );
        for t in &r.tenants {
            let _ = write!(
                tenants,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                t.tenant_id,
                t.failures,
                t.resolved,
                pct(t.sla_compliance_bp),
                t.backlog
            );
        }
        tenants.push_str("</table></section>");
    }
    format!(
        r#"<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title} — {who} — {period}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f5f7f7;color:#1f2933}}
header{{background:#0f766e;color:#fff;padding:24px 32px}} header h1{{margin:0;font-size:24px}} header p{{margin:4px 0 0;opacity:.85}}
main{{max-width:1360px;margin:0 auto;padding:24px;display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:20px}}
section{{background:#fff;border-radius:10px;padding:16px 20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}}
h2{{font-size:16px;margin:0 0 12px;color:#0f766e}} table{{border-collapse:collapse;width:100%;font-size:14px}}
th,td{{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e9eb}} td{{font-variant-numeric:tabular-nums}}
figure{{margin:0}} svg{{width:100%;height:auto}}
</style></head><body>
<header><h1>{title}</h1><p>{who} · {period} · {tz} · {generated_label} {generated}</p></header>
<main>
<section><h2>{period}</h2><table>{rows}</table></section>
<section class="chart" id="chart-categories"><figure>{chart_categories}</figure></section>
<section class="chart" id="chart-trend"><figure>{chart_trend}</figure></section>
<section class="chart" id="chart-sla"><figure>{chart_sla}</figure></section>
<section><h2>{by_type_label}</h2><table>{by_type}</table></section>
<section><h2>{sla_label}</h2><table><tr><th>{metric}</th><th>{priority}</th><th>{met}</th><th>{breached}</th><th>{compliance}</th></tr>{sla}</table></section>
<section><h2>{trend_label}</h2><table><tr><th>{period_label}</th><th>{failures}</th><th>{resolved}</th><th>{arrive}</th><th>{sla_label}</th><th>{complaint_rate}</th></tr>{months}</table></section>
{tenants}
</main></body></html>"#,
        lang = if zh(&r.locale) { "zh-CN" } else { "en" },
        title = esc(&l("title")),
        who = esc(&who),
        period = esc(&r.period),
        tz = esc(&r.timezone),
        generated_label = esc(&l("generated")),
        by_type_label = esc(&l("by_type")),
        sla_label = esc(&l("sla")),
        metric = esc(&l("metric")),
        priority = esc(&l("priority")),
        met = esc(&l("met")),
        breached = esc(&l("breached")),
        compliance = esc(&l("compliance")),
        trend_label = esc(&l("trend")),
        period_label = esc(&l("period")),
        failures = esc(&l("failures")),
        resolved = esc(&l("resolved")),
        arrive = esc(&l("arrive")),
        complaint_rate = esc(&l("complaint_rate")),
    )
}
