//! The demo's month of tickets: the last full calendar month replayed through the history
//! import, the way a provider onboards a customer from its old helpdesk, plus a few tickets
//! open right now. Generated from a fixed seed, so every demo tells the same story; the
//! SLA judgement (breaches, how late) is the platform's own.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

/// One demo tenant as the generator sees it.
pub struct Customer {
    pub key: &'static str,
    pub id: Uuid,
    pub timezone: &'static str,
    /// Reports come in around the clock (a 24×7 customer) or in office hours only.
    pub around_the_clock: bool,
    /// Tickets in a month.
    pub volume: usize,
    pub chinese: bool,
    /// Wall-clock targets in minutes per priority (first response, resolution, on site).
    pub targets: [(i64, i64, Option<i64>); 4],
    /// The engineer (by email) who looks after this customer: the month's tickets are theirs.
    pub engineer: &'static str,
}

#[derive(Debug, Default)]
pub struct DemoTickets {
    pub period: String,
    pub engineers: usize,
    pub imported: usize,
    pub breaches: usize,
    pub open: usize,
    /// On-site visits in today's published rounds.
    pub visits_planned: usize,
    /// Invoices of the demo month, and the SLA credits on them (minor units, all currencies).
    pub invoices: i64,
    pub credits_minor: i64,
    /// Knowledge-base articles published; monitoring alerts and the incidents they opened.
    pub articles: usize,
    pub alerts: usize,
    pub incidents_from_alerts: usize,
}

const CATEGORIES: [(&str, u32); 5] =
    [("network", 25), ("virus_security", 10), ("software", 35), ("hardware", 20), ("other", 10)];

fn titles(category: &str, chinese: bool) -> &'static [&'static str] {
    match (category, chinese) {
        ("network", false) => &[
            "VPN drops every few minutes",
            "Wi-Fi unreachable on the 2nd floor",
            "Internet link down at the branch",
            "Switch port flapping in the server room",
            "Slow file share access",
        ],
        ("network", true) => &["VPN 频繁断开", "二楼无线网络无法连接", "分公司外网中断", "共享盘访问很慢"],
        ("virus_security", false) => &[
            "Phishing e-mail reported by staff",
            "Antivirus alert on a laptop",
            "Suspicious sign-in from abroad",
            "Ransomware warning on a file server",
        ],
        ("virus_security", true) => &["员工报告钓鱼邮件", "笔记本电脑杀毒软件告警", "异地可疑登录"],
        ("software", false) => &[
            "Outlook keeps crashing",
            "ERP client will not start",
            "CAD licence expired",
            "Password reset for a locked account",
            "Teams calls drop after a minute",
        ],
        ("software", true) => {
            &["邮件客户端反复崩溃", "ERP 客户端无法启动", "设计软件许可证过期", "账号被锁定需要重置密码"]
        }
        ("hardware", false) => &[
            "Printer jammed on the 3rd floor",
            "Laptop battery swelling",
            "Monitor flickering",
            "Server disk failure predicted",
            "Label printer offline in the warehouse",
        ],
        ("hardware", true) => &["三楼打印机卡纸", "笔记本电池鼓包", "显示器闪烁", "服务器硬盘预警"],
        (_, false) => {
            &["New starter needs an account", "Move a desk phone", "Question about last night's backup"]
        }
        (_, true) => &["新员工开通账号", "工位电话迁移", "咨询昨晚备份情况"],
    }
}

fn pick<'a, T>(rng: &mut StdRng, weighted: &'a [(T, u32)]) -> &'a T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total);
    for (item, w) in weighted {
        if roll < *w {
            return item;
        }
        roll -= w;
    }
    &weighted[0].0
}

/// The instant of a local wall time in `tz` (the "compatible" rule in gaps and folds).
fn local(tz: &str, day: NaiveDate, minute_of_day: i64) -> anyhow::Result<DateTime<Utc>> {
    let zone = jiff::tz::TimeZone::get(tz)?;
    let civil = jiff::civil::date(day.year() as i16, day.month() as i8, day.day() as i8).at(
        (minute_of_day / 60) as i8,
        (minute_of_day % 60) as i8,
        0,
        0,
    );
    let ts = civil.to_zoned(zone)?.timestamp();
    DateTime::from_timestamp(ts.as_second(), 0).ok_or_else(|| anyhow::anyhow!("time out of range"))
}

/// Moves an instant outside office hours (08:00–19:00 local, Monday to Friday) to the next
/// morning, as people work: nobody resolves a printer jam at 03:00.
fn office(c: &Customer, at: DateTime<Utc>, rng: &mut StdRng) -> anyhow::Result<DateTime<Utc>> {
    if c.around_the_clock {
        return Ok(at);
    }
    let zone = jiff::tz::TimeZone::get(c.timezone)?;
    let z = jiff::Timestamp::from_second(at.timestamp())?.to_zoned(zone);
    let minute = i64::from(z.hour()) * 60 + i64::from(z.minute());
    let weekday = z.weekday().to_monday_one_offset();
    if (480..1140).contains(&minute) && weekday <= 5 {
        return Ok(at);
    }
    let mut day = NaiveDate::from_ymd_opt(i32::from(z.year()), z.month() as u32, z.day() as u32)
        .ok_or_else(|| anyhow::anyhow!("bad date"))?;
    if minute >= 480 {
        day += TimeDelta::days(1);
    }
    while day.weekday().number_from_monday() > 5 {
        day += TimeDelta::days(1);
    }
    local(c.timezone, day, 480 + rng.gen_range(5..90))
}

fn minutes(m: f64) -> TimeDelta {
    TimeDelta::seconds((m * 60.0) as i64)
}

/// A month of one customer's tickets, in the import's shape.
pub fn month(
    c: &Customer,
    first: NaiveDate,
    now: DateTime<Utc>,
    seed: u64,
    assignee: Option<&Value>,
) -> anyhow::Result<Vec<Value>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let next =
        first.checked_add_months(chrono::Months::new(1)).ok_or_else(|| anyhow::anyhow!("bad month"))?;
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d < next).collect();
    let cutoff = now - TimeDelta::minutes(1);
    let mut tickets = Vec::new();
    for n in 0..c.volume {
        let day = days[rng.gen_range(0..days.len())];
        let weekend = day.weekday().number_from_monday() > 5;
        let after_hours = c.around_the_clock && rng.gen_bool(0.12);
        if weekend && !after_hours && rng.gen_bool(0.85) {
            continue;
        }
        let minute = if after_hours { rng.gen_range(0..1440) } else { rng.gen_range(510..1050) };
        let reported = local(c.timezone, day, minute)?;
        if reported >= cutoff {
            continue;
        }
        let category = *pick(&mut rng, &CATEGORIES);
        let request = category == "other" || (category == "software" && rng.gen_bool(0.25));
        let p = *pick(&mut rng, &[(0usize, 5), (1, 15), (2, 50), (3, 30)]);
        let (fr, res, onsite_target) = c.targets[p];
        let options = titles(category, c.chinese);
        let title = options[rng.gen_range(0..options.len())];
        let onsite = match category {
            "hardware" => rng.gen_bool(0.5),
            "network" => rng.gen_bool(0.2),
            _ => false,
        };
        let late = |rng: &mut StdRng, chance: f64| rng.gen_bool(chance);
        let mut timeline = Vec::new();
        let fr_factor = if late(&mut rng, 0.07) { rng.gen_range(1.1..2.5) } else { rng.gen_range(0.1..0.8) };
        let answered = reported + minutes(fr as f64 * fr_factor);
        timeline.push(json!({"at": answered, "event": "first_response"}));
        let mut last = answered;
        if rng.gen_bool(0.15) {
            let paused = last + TimeDelta::minutes(rng.gen_range(10..60));
            let resumed = office(c, paused + TimeDelta::minutes(rng.gen_range(60..600)), &mut rng)?;
            timeline.push(json!({"at": paused, "event": "pending_customer"}));
            timeline.push(json!({"at": resumed, "event": "resumed"}));
            last = resumed;
        }
        if onsite {
            let target = onsite_target.unwrap_or(480) as f64;
            let factor = if late(&mut rng, 0.06) { rng.gen_range(1.1..1.6) } else { rng.gen_range(0.2..0.9) };
            let arrived = office(
                c,
                (reported + minutes(target * factor)).max(last + TimeDelta::minutes(20)),
                &mut rng,
            )?;
            let left = arrived + TimeDelta::minutes(rng.gen_range(30..150));
            timeline.push(json!({"at": arrived, "event": "onsite_arrival"}));
            timeline.push(json!({"at": left, "event": "onsite_departure"}));
            last = left;
        }
        let res_factor =
            if late(&mut rng, 0.08) { rng.gen_range(1.05..1.8) } else { rng.gen_range(0.15..0.85) };
        let resolved = office(
            c,
            (reported + minutes(res as f64 * res_factor)).max(last + TimeDelta::minutes(5)),
            &mut rng,
        )?;
        timeline.push(json!({"at": resolved, "event": "resolved", "remote": !onsite}));
        let closed = resolved + TimeDelta::hours(rng.gen_range(20..72));
        timeline.push(json!({"at": closed, "event": "closed"}));
        if rng.gen_bool(0.55) {
            let rating = *pick(&mut rng, &[(5u8, 50), (4, 30), (3, 12), (2, 5), (1, 3)]);
            let complaint = rating <= 2 && rng.gen_bool(0.6);
            let comment = match (rating, c.chinese) {
                (5, false) => "Quick and friendly, thank you!",
                (5, true) => "响应很快，谢谢！",
                (4 | 3, false) => "Fixed, but it took a while.",
                (4 | 3, true) => "问题解决了，但花了些时间。",
                (_, false) => "Nobody told us what was going on for hours.",
                (_, true) => "好几个小时没人告诉我们进展。",
            };
            timeline.push(json!({"at": closed + TimeDelta::hours(rng.gen_range(1..20)), "event": "feedback",
                "rating": rating, "complaint": complaint, "comment": comment}));
        }
        // Only history: whatever would lie after now stays open.
        timeline.retain(|e| {
            e["at"].as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok()).is_some_and(|t| t <= cutoff)
        });
        tickets.push(json!({
            "external_id": format!("LEGACY-{}-{}-{n:04}", c.key, first.format("%Y%m")),
            "type": if request { "service_request" } else { "incident" },
            "title": title,
            "description": "Imported from the previous helpdesk.",
            "category": category,
            "priority": format!("P{}", p + 1),
            "onsite_required": onsite,
            "reported_at": reported,
            "assignee_id": assignee,
            "timeline": timeline,
        }));
    }
    tickets.sort_by(|a, b| a["reported_at"].as_str().cmp(&b["reported_at"].as_str()));
    Ok(tickets)
}

/// The dispatch team: the demo's engineers as engineer records (skills, regions, shifts in
/// their own time zones, the office their rounds start from), so open tickets are dispatched
/// as they come in. Answers each engineer's user id by email.
async fn team(http: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Vec<(String, Value)>> {
    let staff: Value =
        http.get(format!("{base}/api/v1/users?limit=200")).bearer_auth(token).send().await?.json().await?;
    let id_of = |email: &str| {
        staff["items"].as_array().into_iter().flatten().find(|u| u["email"] == email).map(|u| u["id"].clone())
    };
    let weekdays = |from: &str, to: &str| {
        let day = json!([[from, to]]);
        json!({"weekly": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": [], "sun": []}})
    };
    let team = [
        json!({"name": "Zhang Wei", "email": "zhang.wei@canopy.demo", "support_level": 2,
            "skills": [{"key": "network", "level": 3}, {"key": "software", "level": 2}, {"key": "hardware", "level": 2},
                       {"key": "other", "level": 1}],
            "home_region": "shanghai-pudong", "regions": ["shanghai-puxi"], "timezone": "Asia/Shanghai",
            "shifts": weekdays("09:00", "18:00"), "capacity": 8, "on_call": false,
            "base": {"latitude": 31.2304, "longitude": 121.4737}}),
        json!({"name": "Max Müller", "email": "m.mueller@canopy.demo", "support_level": 3,
            "skills": [{"key": "hardware", "level": 3}, {"key": "network", "level": 2}, {"key": "virus_security", "level": 3},
                       {"key": "software", "level": 2}, {"key": "other", "level": 1}],
            "home_region": "berlin", "regions": ["hamburg"], "timezone": "Europe/Berlin",
            "shifts": weekdays("08:00", "17:00"), "capacity": 6, "on_call": true,
            "base": {"latitude": 52.5200, "longitude": 13.4050}}),
        json!({"name": "Emily Carter", "email": "e.carter@canopy.demo", "support_level": 2,
            "skills": [{"key": "hardware", "level": 2}, {"key": "network", "level": 2}, {"key": "software", "level": 3},
                       {"key": "virus_security", "level": 2}, {"key": "other", "level": 1}],
            "home_region": "boston", "timezone": "America/New_York",
            "shifts": weekdays("08:00", "17:00"), "capacity": 6, "on_call": false,
            "base": {"latitude": 42.3601, "longitude": -71.0589}}),
    ];
    let mut made = Vec::new();
    for mut engineer in team {
        engineer["user_id"] = id_of(engineer["email"].as_str().unwrap_or_default()).unwrap_or(Value::Null);
        let res =
            http.post(format!("{base}/api/v1/engineers")).bearer_auth(token).json(&engineer).send().await?;
        anyhow::ensure!(res.status().is_success(), "adding a demo engineer: {}", res.text().await?);
        made.push((engineer["email"].as_str().unwrap_or_default().to_owned(), engineer["user_id"].clone()));
    }
    Ok(made)
}

/// Loads the last month that has ended everywhere before `now`, and a few open tickets through the running platform at
/// `base`, signed in as the demo's provider admin.
pub async fn load(base: &str, customers: &[Customer], now: DateTime<Utc>) -> anyhow::Result<DemoTickets> {
    let http = canopy_kernel::client::http_client(std::time::Duration::from_secs(120));
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": crate::demo::DEMO_ADMIN, "password": crate::demo::DEMO_PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["access_token"].as_str().ok_or_else(|| anyhow::anyhow!("no token in {login}"))?;
    // The last month that has ended in every time zone (the last one, UTC−12, is 12 hours
    // behind), so every customer's month can be billed whatever the hour.
    let everywhere = now - chrono::TimeDelta::hours(12);
    let this_month = NaiveDate::from_ymd_opt(everywhere.year(), everywhere.month(), 1)
        .ok_or_else(|| anyhow::anyhow!("date"))?;
    let first = this_month
        .checked_sub_months(chrono::Months::new(1))
        .ok_or_else(|| anyhow::anyhow!("no previous month"))?;
    let mut summary = DemoTickets { period: first.format("%Y-%m").to_string(), ..DemoTickets::default() };
    let team = team(&http, base, token).await?;
    summary.engineers = team.len();
    for (i, c) in customers.iter().enumerate() {
        let engineer = team.iter().find(|(email, _)| email == c.engineer).map(|(_, user)| user);
        let tickets = month(c, first, now, 2026 + i as u64, engineer)?;
        let res = http
            .post(format!("{base}/api/v1/tickets/import"))
            .bearer_auth(token)
            .json(&json!({"tenant_id": c.id, "tickets": tickets}))
            .send()
            .await?;
        let status = res.status();
        let answer: Value = res.json().await?;
        anyhow::ensure!(status.is_success(), "importing {}'s month: {answer}", c.key);
        let results = answer["tickets"].as_array().map(Vec::as_slice).unwrap_or_default();
        summary.imported += results.len();
        summary.breaches +=
            results.iter().map(|r| r["breaches"].as_array().map_or(0, Vec::len)).sum::<usize>();
        // Open right now, for the desk and the dispatch queue.
        let open = [
            (
                "high",
                "high",
                "hardware",
                if c.chinese { "服务器风扇报警" } else { "Server fan alarm in the rack" },
            ),
            (
                "medium",
                "medium",
                "network",
                if c.chinese { "会议室投屏无法连接" } else { "Meeting room screen cannot connect" },
            ),
            (
                "low",
                "medium",
                "software",
                if c.chinese { "申请安装绘图软件" } else { "Please install the PDF editor" },
            ),
        ];
        let config: Value = http
            .get(format!("{base}/api/v1/tenants/{}/config", c.id))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let site = config["sites"][0]["id"].clone();
        for (impact, urgency, category, title) in open {
            let mut body = json!({"tenant_id": c.id, "type": "incident", "title": title, "category": category,
                "impact": impact, "urgency": urgency, "channel": "phone"});
            // The fan alarm needs someone in the server room: today's on-site round.
            if category == "hardware" {
                body["onsite_required"] = json!(true);
                body["site_id"] = site.clone();
            }
            let res = http
                .post(format!("{base}/api/v1/tickets"))
                .bearer_auth(token)
                .header("idempotency-key", format!("demo-open-{}-{category}", c.key))
                .json(&body)
                .send()
                .await?;
            anyhow::ensure!(res.status().is_success(), "raising a demo ticket: {}", res.text().await?);
            summary.open += 1;
        }
    }
    // Today's on-site rounds, planned across the team (a provider's day, in UTC: the team
    // works in several zones, each engineer's round on its own local day).
    let res = http
        .post(format!("{base}/api/v1/dispatch/optimize"))
        .bearer_auth(token)
        .json(&json!({"date": now.date_naive(), "budget_seconds": 2}))
        .send()
        .await?;
    let status = res.status();
    let plan: Value = res.json().await?;
    anyhow::ensure!(status.is_success(), "planning today's rounds: {plan}");
    summary.visits_planned = plan["plan"]["rounds"]
        .as_array()
        .map_or(0, |rounds| rounds.iter().map(|r| r["stops"].as_array().map_or(0, Vec::len)).sum());
    // The demo month billed: invoices with the credits its breaches earned.
    let res = http
        .post(format!("{base}/api/v1/billing/runs"))
        .bearer_auth(token)
        .json(&json!({"period": summary.period}))
        .send()
        .await?;
    let status = res.status();
    let run: Value = res.json().await?;
    anyhow::ensure!(status.is_success(), "billing the demo month: {run}");
    summary.invoices = run["invoices"].as_i64().unwrap_or(0);
    summary.credits_minor = run["outcome"]["credits_minor"].as_i64().unwrap_or(0);
    knowledge_and_monitoring(&http, base, token, customers, now, &mut summary).await?;
    Ok(summary)
}

/// The knowledge base's first articles (one in Chinese, one in English, one internal), and a
/// monitoring agent's batch per customer: a disk filling up (its alert opens an incident),
/// pings that recover, and a reading sent twice (deduplicated).
async fn knowledge_and_monitoring(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    customers: &[Customer],
    now: DateTime<Utc>,
    summary: &mut DemoTickets,
) -> anyhow::Result<()> {
    let articles = [
        json!({"title": "打印机无法打印", "language": "zh-CN", "category": "hardware", "visibility": "all_tenants",
            "status": "published", "tags": ["打印机", "printer"],
            "body": "## 症状\n\n文档发送后打印机没有反应。\n\n## 解决\n\n1. 重启打印服务（Print Spooler）。\n2. 清空打印队列后重新发送文档。\n3. 仍然失败时重新安装打印机驱动。"}),
        json!({"title": "VPN cannot connect from home", "language": "en", "category": "network",
            "visibility": "all_tenants", "status": "published", "tags": ["vpn"],
            "body": "## Symptom\n\nThe VPN client stops at *Authenticating*.\n\n## Fix\n\nCheck that the client certificate has not expired; renew it in the portal, then reconnect."}),
        json!({"title": "Collect spooler crash dumps", "language": "en", "category": "software",
            "visibility": "internal", "status": "published",
            "body": "Before restarting the print spooler on a customer's server, copy the crash dumps from `C:\\Windows\\System32\\spool` for the vendor case."}),
    ];
    for a in articles {
        let res = http.post(format!("{base}/api/v1/kb/articles")).bearer_auth(token).json(&a).send().await?;
        anyhow::ensure!(res.status().is_success(), "a knowledge article: {}", res.text().await?);
        summary.articles += 1;
    }
    for c in customers {
        let at = |mins: i64| (now - TimeDelta::minutes(mins)).to_rfc3339();
        let host = format!("{}-fs01", c.key.to_lowercase());
        let reading = json!({"host": host, "check": "cpu", "severity": "info", "message": "load 0.4", "occurred_at": at(9)});
        let events = json!({"events": [
            {"host": host, "check": "disk D:", "severity": "warning", "message": "85 % full", "occurred_at": at(30)},
            {"host": host, "check": "disk D:", "severity": "critical", "message": "97 % full", "occurred_at": at(10)},
            {"host": format!("{}-sw01", c.key.to_lowercase()), "check": "ping", "severity": "error",
             "message": "no answer", "occurred_at": at(20)},
            {"host": format!("{}-sw01", c.key.to_lowercase()), "check": "ping", "severity": "ok",
             "message": "answers again", "occurred_at": at(15)},
            reading, reading,
        ]});
        let res = http
            .post(format!("{base}/api/v1/events?tenant_id={}", c.id))
            .bearer_auth(token)
            .json(&events)
            .send()
            .await?;
        let status = res.status();
        let out: Value = res.json().await?;
        anyhow::ensure!(status.is_success(), "a monitoring batch: {out}");
        summary.alerts += out["alerts"].as_u64().unwrap_or(0) as usize;
        summary.incidents_from_alerts += out["incidents"]["opened"].as_array().map_or(0, Vec::len);
    }
    Ok(())
}
