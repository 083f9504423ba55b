//! Bar charts drawn on the server as SVG markup: groups of bars (one bar per series in each
//! group), a value axis with grid lines, a legend when there is more than one series. Only
//! geometry and text: the template writes the elements, colours come from CSS classes (the
//! pages' CSP allows no `style` attribute). Every chart is also given as a table, for screen
//! readers.

/// One series of values, coloured by its class (`s0`, `s1`, …).
pub struct Series {
    pub name: String,
    pub class: &'static str,
}

/// What is drawn: a label and one value (with its text) per series.
pub struct GroupInput {
    pub label: String,
    pub values: Vec<(f64, String)>,
}

/// The value axis: counts (from zero to a round number above the largest) or percentages.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    Count,
    Percent,
}

pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub class: &'static str,
    /// The value as text, above the bar.
    pub text: String,
    pub text_x: String,
    pub text_y: String,
    /// The tooltip: `Network: 3`.
    pub title: String,
}

pub struct Group {
    pub label: String,
    pub label_x: String,
    pub bars: Vec<Bar>,
    /// The values as text, in series order (the table's cells).
    pub texts: Vec<String>,
}

pub struct Tick {
    pub y: String,
    pub label: String,
}

pub struct LegendItem {
    pub name: String,
    pub class: &'static str,
    pub x: String,
    pub text_x: String,
}

pub struct BarChart {
    pub id: String,
    pub title: String,
    /// The heading of the table's first column (`Category`, `Month`).
    pub group_heading: String,
    pub width: u32,
    pub height: u32,
    pub plot_left: String,
    pub plot_right: String,
    pub baseline: String,
    pub label_y: String,
    pub legend_y: String,
    pub legend_text_y: String,
    pub ticks: Vec<Tick>,
    pub series: Vec<Series>,
    pub legend: Vec<LegendItem>,
    pub groups: Vec<Group>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const BOTTOM: f64 = 36.0;

fn px(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 { format!("{r:.0}") } else { format!("{r:.1}") }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let n = raw / magnitude;
    let m = if n <= 1.0 {
        1.0
    } else if n <= 2.0 {
        2.0
    } else if n <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * magnitude
}

/// The axis' top and its step.
fn axis(scale: Scale, largest: f64) -> (f64, f64) {
    match scale {
        Scale::Percent => (100.0, 25.0),
        Scale::Count => {
            let step = nice_step(largest / 4.0);
            let top = (largest / step).ceil().max(1.0) * step;
            (top, step)
        }
    }
}

impl BarChart {
    pub fn new(
        id: &str,
        title: String,
        group_heading: String,
        scale: Scale,
        series: Vec<Series>,
        groups: Vec<GroupInput>,
    ) -> Self {
        let legend_height = if series.len() > 1 { 28.0 } else { 0.0 };
        // Room above the highest bar for its value.
        let top_margin = 24.0 + legend_height;
        let plot_height = HEIGHT - top_margin - BOTTOM;
        let baseline = HEIGHT - BOTTOM;
        let largest = groups.iter().flat_map(|g| g.values.iter().map(|(v, _)| *v)).fold(0.0, f64::max);
        let (top, step) = axis(scale, largest);
        let y_of = |v: f64| baseline - (v.clamp(0.0, top) / top) * plot_height;
        let mut ticks = Vec::new();
        let mut v = 0.0;
        while v <= top + f64::EPSILON {
            let label = match scale {
                Scale::Percent => format!("{v:.0}%"),
                Scale::Count => format!("{v:.0}"),
            };
            ticks.push(Tick { y: px(y_of(v)), label });
            v += step;
        }
        let slot = (WIDTH - LEFT - RIGHT) / groups.len().max(1) as f64;
        let per = series.len().max(1) as f64;
        let bar_width = (slot * 0.7 / per).min(56.0);
        let groups = groups
            .into_iter()
            .enumerate()
            .map(|(i, g)| {
                let centre = LEFT + slot * (i as f64 + 0.5);
                let start = centre - bar_width * per / 2.0;
                let bars = g
                    .values
                    .iter()
                    .zip(&series)
                    .enumerate()
                    .map(|(j, ((value, text), s))| {
                        let x = start + bar_width * j as f64;
                        let y = y_of(*value);
                        Bar {
                            x: px(x + 1.0),
                            y: px(y),
                            width: px(bar_width - 2.0),
                            height: px(baseline - y),
                            class: s.class,
                            // Above a bar, a whole percentage is enough (the table is exact).
                            text: match scale {
                                Scale::Percent if text != "–" => format!("{value:.0}%"),
                                _ => text.clone(),
                            },
                            text_x: px(x + bar_width / 2.0),
                            text_y: px(y - 4.0),
                            title: if series.len() > 1 {
                                format!("{} · {}: {text}", g.label, s.name)
                            } else {
                                format!("{}: {text}", g.label)
                            },
                        }
                    })
                    .collect();
                Group {
                    label_x: px(centre),
                    texts: g.values.iter().map(|(_, t)| t.clone()).collect(),
                    label: g.label,
                    bars,
                }
            })
            .collect();
        // The legend: a swatch and a name per series, left to right.
        let mut legend = Vec::new();
        let mut x = LEFT;
        if series.len() > 1 {
            for s in &series {
                legend.push(LegendItem {
                    name: s.name.clone(),
                    class: s.class,
                    x: px(x),
                    text_x: px(x + 18.0),
                });
                x += 18.0 + 8.0 * s.name.chars().count() as f64 + 28.0;
            }
        }
        Self {
            id: id.to_owned(),
            title,
            group_heading,
            width: WIDTH as u32,
            height: HEIGHT as u32,
            plot_left: px(LEFT),
            plot_right: px(WIDTH - RIGHT),
            baseline: px(baseline),
            label_y: px(baseline + 22.0),
            legend_y: px(10.0),
            legend_text_y: px(21.0),
            ticks,
            series,
            legend,
            groups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(label: &str, v: f64) -> GroupInput {
        GroupInput { label: label.into(), values: vec![(v, format!("{v}"))] }
    }

    #[test]
    fn the_axis_ends_on_a_round_number_above_the_largest_value() {
        assert_eq!(axis(Scale::Count, 0.0), (1.0, 1.0));
        assert_eq!(axis(Scale::Count, 3.0), (3.0, 1.0));
        assert_eq!(axis(Scale::Count, 7.0), (8.0, 2.0));
        assert_eq!(axis(Scale::Count, 37.0), (40.0, 10.0));
        assert_eq!(axis(Scale::Count, 1234.0), (1500.0, 500.0));
        assert_eq!(axis(Scale::Percent, 12.0), (100.0, 25.0));
    }

    #[test]
    fn bars_stand_on_the_baseline_in_proportion() {
        let chart = BarChart::new(
            "c",
            "Failures".into(),
            "Category".into(),
            Scale::Count,
            vec![Series { name: "Failures".into(), class: "s0" }],
            vec![one("Network", 4.0), one("Hardware", 2.0), one("Other", 0.0)],
        );
        let h: Vec<f64> = chart.groups.iter().map(|g| g.bars[0].height.parse().unwrap()).collect();
        // The plot is 280 − 24 − 36 = 220 high; the axis tops at 4.
        assert_eq!(h, [220.0, 110.0, 0.0]);
        let b = &chart.groups[0].bars[0];
        let (y, height): (f64, f64) = (b.y.parse().unwrap(), b.height.parse().unwrap());
        assert_eq!(y + height, 244.0, "on the baseline");
        assert_eq!(b.title, "Network: 4");
        assert!(chart.legend.is_empty(), "one series needs no legend");
        assert_eq!(chart.ticks.len(), 5);
    }

    #[test]
    fn groups_hold_a_bar_per_series_and_a_legend_names_them() {
        let chart = BarChart::new(
            "t",
            "Months".into(),
            "Month".into(),
            Scale::Count,
            vec![
                Series { name: "Failures".into(), class: "s0" },
                Series { name: "Resolved".into(), class: "s1" },
            ],
            vec![GroupInput { label: "2026-10".into(), values: vec![(6.0, "6".into()), (5.0, "5".into())] }],
        );
        assert_eq!(chart.groups[0].bars.len(), 2);
        assert_eq!(chart.groups[0].bars[1].class, "s1");
        assert_eq!(chart.groups[0].bars[1].title, "2026-10 · Resolved: 5");
        assert_eq!(chart.legend.len(), 2);
        assert_eq!(chart.groups[0].texts, ["6", "5"]);
    }
}
