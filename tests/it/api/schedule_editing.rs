//! Editing that keeps a day publishable (issue 18): a template is checked against the
//! catalog when it is saved, a preview generates without saving, an insert at a time of
//! day ripples and fits the day, an insert in the past is refused, and an empty day is
//! fitted to 24 h with slate.

use super::common;
use super::schedules_api::{call, day, errors, setup, template};

use catalog::programme::Category;
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};

/// The test channel with the test template saved and the day generated with seed 7: the
/// day's path and the generation's answer.
async fn generated(app: &common::App) -> (String, Value) {
    let ch = setup(app).await;
    let base = format!("/api/channels/{}", ch.id);
    let dp = format!("{base}/days/{}", day());
    assert_eq!(call(app, Method::PUT, &format!("{base}/template"), Some(template())).await.0, 200);
    let (s, gen) = call(app, Method::POST, &format!("{dp}/generate"), Some(json!({ "seed": 7 }))).await;
    assert_eq!(s, 201, "{gen}");
    (dp, gen)
}

fn items(day: &Value) -> &Vec<Value> {
    day["playlist"]["items"].as_array().unwrap()
}

both!(a_template_naming_categories_without_programmes_is_refused_when_saved, |app| {
    // 涉农 programmes only: no 台标宣传 filler, no 公益.
    let ch = common::miyi_tv_with(&app, &[(Category::Agriculture, 1500), (Category::Agriculture, 900)]).await;
    let base = format!("/api/channels/{}", ch.id);
    let (s, b) = call(&app, Method::PUT, &format!("{base}/template"), Some(common::agri_template())).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_template")), "{b}");
    let problem = &b["problems"][0];
    assert_eq!((problem["code"].as_str(), problem["location"].as_str()), (Some("unknown_category"), Some("fillers")));
    assert!(problem["message"].as_str().unwrap().contains("台标宣传"), "{b}");
    assert_eq!(problem["params"]["category"], "台标宣传", "the value the UI words: {b}");
    let mut t = common::agri_template();
    t["fillers"]["categories"] = json!(["涉农"]);
    t["clocks"][0]["segments"][0]["filter"]["categories"] = json!(["公益"]);
    let (s, b) = call(&app, Method::PUT, &format!("{base}/template"), Some(t)).await;
    assert_eq!(s, 422, "{b}");
    assert!(b["problems"][0]["message"].as_str().unwrap().contains("公益"), "{b}");
    // Nothing was saved, and what is saved generates.
    let (s, _) = call(&app, Method::GET, &format!("{base}/template"), None).await;
    assert_eq!(s, 404);
    let mut t = common::agri_template();
    t["fillers"]["categories"] = json!(["涉农"]);
    let (s, b) = call(&app, Method::PUT, &format!("{base}/template"), Some(t)).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(&app, Method::POST, &format!("{base}/days/{}/generate", day()), Some(json!({ "seed": 1 }))).await;
    assert_eq!(s, 201, "{b}");
});

both!(a_preview_generates_from_an_unsaved_template_and_stores_nothing, |app| {
    let ch = setup(&app).await;
    let base = format!("/api/channels/{}", ch.id);
    let body = json!({ "template": template(), "date": day().to_string(), "seed": 3 });
    let (s, b) = call(&app, Method::POST, &format!("{base}/template/preview"), Some(body)).await;
    assert_eq!(s, 200, "{b}");
    assert!(items(&b).iter().any(|i| i["title"] == "新闻联播"), "{b}");
    assert!(errors(&b["findings"]).is_empty(), "{}", b["findings"]);
    assert!(items(&b).iter().all(|i| i["why"].is_string()), "every item explains itself");
    let (s, _) = call(&app, Method::GET, &format!("{base}/template"), None).await;
    assert_eq!(s, 404, "the preview saved no template");
    let (s, _) = call(&app, Method::GET, &format!("{base}/days/{}", day()), None).await;
    assert_eq!(s, 404, "the preview saved no day");
    let bad = json!({ "template": { "name": "x", "week": { "default": { "blocks": [] } }, "fillers": { "categories": ["公益"] } },
        "date": day().to_string() });
    let (s, b) = call(&app, Method::POST, &format!("{base}/template/preview"), Some(bad)).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_template")), "{b}");
});

both!(an_insert_at_a_time_ripples_and_the_day_stays_publishable, |app| {
    let (dp, gen) = generated(&app).await;
    let n = items(&gen).len();
    // A 25-minute programme at 06:10 (frame 15000 at 25 fps), inside the first 涉农 item.
    let mut item = items(&gen)[0].clone();
    item["why"] = Value::Null;
    let insert = json!({ "version": 1, "op": { "op": "insert_at", "at": 15000, "item": item } });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(insert)).await;
    assert_eq!(s, 201, "{b}");
    assert!(errors(&b["findings"]).is_empty(), "fitted, nothing past the day end: {}", b["findings"]);
    let after = items(&b);
    assert!(after.iter().any(|i| i["start"] == 15000 && i["title"] == item["title"]), "{b}");
    // Fillers before the next fixed point gave way: fewer items, none past midnight.
    assert!(after.len() < n, "{} items after, {n} before", after.len());
    assert!(b["change"].as_str().unwrap().contains("fitted"), "{}", b["change"]);
    let last = after.last().unwrap();
    let end = last["start"].as_i64().unwrap() + last["duration"].as_i64().unwrap();
    assert_eq!(end, 25 * 86_400, "the day keeps its 24 h");
    let relay = after.iter().find(|i| i["title"] == "新闻联播").unwrap();
    assert_eq!(relay["start"], 25 * 3600 * 13, "the 19:00 relay did not move");
    let (s, b) = call(&app, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": 2 }))).await;
    assert_eq!(s, 201, "{b}");
});

both!(an_insert_in_the_past_is_refused_with_a_reason, |app| {
    let ch = setup(&app).await;
    let base = format!("/api/channels/{}", ch.id);
    let yesterday = (Utc::now() - Duration::days(2)).date_naive();
    let item = json!({ "start": 0, "duration": 250, "timing": "soft", "source": { "type": "slate" },
        "title": "slate", "kind": "slate" });
    let op = json!({ "version": 1, "op": { "op": "insert_at", "at": 0, "item": item } });
    let (s, b) = call(&app, Method::POST, &format!("{base}/days/{yesterday}/edits"), Some(op)).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("in_the_past")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("already past"), "{b}");
});

both!(an_empty_day_fitted_is_slate_to_24_h_and_publishable, |app| {
    let ch = setup(&app).await;
    let base = format!("/api/channels/{}", ch.id);
    let dp = format!("{base}/days/{}", day());
    let r = app
        .as_role(catalog::user::Role::Scheduler, Method::POST, &format!("{dp}/import"))
        .header("content-type", "text/csv")
        .body("start,programme,duration\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let fit = json!({ "version": 1, "op": { "op": "fit_day" } });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(fit)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(items(&b).len(), 1, "{b}");
    assert_eq!(items(&b)[0]["duration"], 25 * 86_400);
    assert!(errors(&b["findings"]).is_empty(), "{}", b["findings"]);
    let (s, b) = call(&app, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": 2 }))).await;
    assert_eq!(s, 201, "{b}");
});

both!(a_day_copied_to_other_days_is_a_new_version_of_each, |app| {
    let ch = setup(&app).await;
    let base = format!("/api/channels/{}", ch.id);
    let d = day();
    assert_eq!(call(&app, Method::PUT, &format!("{base}/template"), Some(template())).await.0, 200);
    let (s, gen) = call(&app, Method::POST, &format!("{base}/days/{d}/generate"), Some(json!({ "seed": 2 }))).await;
    assert_eq!(s, 201, "{gen}");
    let (next, after) = (d + Duration::days(1), d + Duration::days(2));
    // The day after already has a version: the copy is its version 2.
    assert_eq!(call(&app, Method::POST, &format!("{base}/days/{after}/generate"), Some(json!({}))).await.0, 201);
    let body = json!({ "to": [next.to_string(), after.to_string()] });
    let (s, b) = call(&app, Method::POST, &format!("{base}/days/{d}/copy"), Some(body)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!((b[0]["version"].as_i64(), b[1]["version"].as_i64()), (Some(1), Some(2)), "{b}");
    assert_eq!((b[0]["errors"].as_u64(), b[1]["errors"].as_u64()), (Some(0), Some(0)), "{b}");
    let (s, copied) = call(&app, Method::GET, &format!("{base}/days/{next}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(copied["playlist"]["date"], next.to_string());
    assert_eq!(copied["playlist"]["items"], gen["playlist"]["items"], "the same items on the other day");
    assert!(copied["change"].as_str().unwrap().starts_with(&format!("copied from {d}")), "{}", copied["change"]);
    // The source day itself, a day already over and an empty list are refused.
    let past = (Utc::now() - Duration::days(3)).date_naive();
    for to in [json!([d.to_string()]), json!([past.to_string()]), json!([])] {
        let (s, b) = call(&app, Method::POST, &format!("{base}/days/{d}/copy"), Some(json!({ "to": to }))).await;
        assert_eq!(s, 422, "{to}: {b}");
    }
});

both!(an_edit_answers_only_the_changed_items_and_every_sentence_as_a_code, |app| {
    let (dp, gen) = generated(&app).await;
    assert_eq!(gen["change_phrase"], json!({ "code": "generated", "params": { "seed": "7" } }), "{gen}");
    // Every generated item says why as a code with its parameters, beside the English.
    for it in items(&gen) {
        assert!(it["reason"]["code"].is_string() && it["why"].is_string(), "{it}");
    }
    let first = &items(&gen)[0];
    assert_eq!(first["reason"]["code"], "least_recent", "{first}");
    assert_eq!(first["reason"]["params"]["category"], first["category"], "{first}");

    // A range answer: the locked item alone, the same day as a whole answer would give.
    let before = items(&gen).clone();
    let lock = json!({ "version": 1, "op": { "op": "lock", "index": 2, "locked": true }, "answer": "range" });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(lock)).await;
    assert_eq!(s, 201, "{b}");
    assert!(b.get("playlist").is_none(), "no whole day in a range answer: {b}");
    let r = &b["range"];
    assert_eq!(
        (r["from"].as_u64(), r["removed"].as_u64(), r["length"].as_u64()),
        (Some(2), Some(1), Some(before.len() as u64))
    );
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    assert_eq!(r["items"][0]["locked"], true);
    let title = before[2]["title"].as_str().unwrap();
    assert_eq!(b["change_phrase"], json!({ "code": "lock", "params": { "title": title } }), "{b}");
    let (_, whole) = call(&app, Method::GET, &dp, None).await;
    let mut applied = before.clone();
    applied.splice(2..3, r["items"].as_array().unwrap().iter().cloned());
    assert_eq!(items(&whole), &applied, "the range applied to the parent is the stored day");

    // An insert at a time: the range runs from the split item to where the fit stopped.
    let mut item = before[0].clone();
    item["why"] = Value::Null;
    item["reason"] = Value::Null;
    let insert = json!({ "version": 2, "op": { "op": "insert_at", "at": 15000, "item": item }, "answer": "range" });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(insert)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["change_phrase"]["code"], "insert_at", "{b}");
    assert_eq!(b["change_phrase"]["params"]["at"], "06:10:00", "{b}");
    let (_, whole) = call(&app, Method::GET, &dp, None).await;
    let (from, removed) =
        (b["range"]["from"].as_u64().unwrap() as usize, b["range"]["removed"].as_u64().unwrap() as usize);
    applied.splice(from..from + removed, b["range"]["items"].as_array().unwrap().iter().cloned());
    assert_eq!(items(&whole), &applied);
    assert_eq!(whole["change_phrase"]["code"], "insert_at", "{whole}");

    // A stale version is still refused (the kept copy is used only for the current one).
    let stale = json!({ "version": 2, "op": { "op": "lock", "index": 0, "locked": true }, "answer": "range" });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(stale)).await;
    assert_eq!((s, b["error"]["code"].as_str()), (409, Some("conflict")), "{b}");

    // Findings carry their values; the version list can leave the playlists out.
    let (_, v) = call(&app, Method::GET, &format!("{dp}/versions?playlists=false"), None).await;
    let list = v["versions"].as_array().unwrap();
    assert_eq!(list.len(), 3, "{v}");
    assert!(list.iter().all(|x| x.get("playlist").is_none() && x["change_phrase"]["code"].is_string()), "{v}");
    let del = json!({ "version": 3, "op": { "op": "delete", "index": 0 } });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(del)).await;
    assert_eq!(s, 201, "{b}");
    let gap = b["findings"].as_array().unwrap().iter().find(|f| f["code"] == "gap").expect("a gap");
    let msg = gap["message"].as_str().unwrap();
    for key in ["length", "from"] {
        assert!(msg.contains(gap["params"][key].as_str().unwrap()), "{key} is the value the message names: {gap}");
    }
});

both!(the_week_view_says_where_each_day_stands, |app| {
    let (dp, gen) = generated(&app).await;
    let base = dp.split("/days/").next().unwrap().to_string();
    let path = format!("{base}/week?from={}&days=3", day());
    let (s, w) = call(&app, Method::GET, &path, None).await;
    assert_eq!(s, 200, "{w}");
    let w = w.as_array().unwrap().clone();
    assert_eq!(w.len(), 3);
    assert_eq!((w[0]["state"].as_str(), w[0]["version"].as_i64()), (Some("draft"), Some(1)), "{}", w[0]);
    assert_eq!(w[0]["items"].as_u64(), Some(items(&gen).len() as u64));
    assert_eq!((w[0]["errors"].as_u64(), w[0]["gaps"].as_u64()), (Some(0), Some(0)), "{}", w[0]);
    assert_eq!(w[0]["filled_secs"], w[0]["day_secs"], "a generated day is full: {}", w[0]);
    assert_eq!((w[1]["state"].as_str(), w[1]["items"].as_u64()), (Some("empty"), Some(0)), "{}", w[1]);
    assert_eq!(w[1]["date"], (day() + Duration::days(1)).to_string());

    let (s, b) = call(&app, Method::POST, &format!("{dp}/publish"), Some(json!({ "version": 1 }))).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(call(&app, Method::GET, &path, None).await.1[0]["state"], "published");
    let del = json!({ "version": 1, "op": { "op": "delete", "index": 0 }, "answer": "range" });
    assert_eq!(call(&app, Method::POST, &format!("{dp}/edits"), Some(del)).await.0, 201);
    let (_, w) = call(&app, Method::GET, &path, None).await;
    assert_eq!((w[0]["state"].as_str(), w[0]["published_version"].as_i64()), (Some("changed"), Some(1)), "{}", w[0]);
    assert_eq!(w[0]["gaps"].as_u64(), Some(1), "the deleted item left dead air: {}", w[0]);
    assert!(w[0]["filled_secs"].as_f64() < w[0]["day_secs"].as_f64());

    let (s, b) = call(&app, Method::GET, &format!("{base}/week?days=40"), None).await;
    assert_eq!(s, 422, "{b}");
});

both!(a_refused_edit_answers_a_code_and_the_values_its_message_names, |app| {
    let (dp, gen) = generated(&app).await;
    let edit = |op: Value| json!({ "version": 1, "op": op });
    // 14 h at 06:10 runs past the 19:00 relay (a fixed point): refused, naming both.
    let mut item = items(&gen)[0].clone();
    item["why"] = Value::Null;
    item["reason"] = Value::Null;
    item["duration"] = json!(25 * 3600 * 14);
    let (s, b) = call(
        &app,
        Method::POST,
        &format!("{dp}/edits"),
        Some(edit(json!({ "op": "insert_at", "at": 15000, "item": item }))),
    )
    .await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("does_not_fit")), "{b}");
    let p = &b["error"]["params"];
    assert_eq!(
        (p["title"].clone(), p["length"].as_str(), p["before"].as_str()),
        (item["title"].clone(), Some("14:00:00:00"), Some("新闻联播")),
        "{b}"
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("does not fit before 新闻联播"), "the English stays: {b}");
    // A row that does not exist, a zero-length trim: each its own code, rows counted from 1.
    let n = items(&gen).len();
    let (s, b) =
        call(&app, Method::POST, &format!("{dp}/edits"), Some(edit(json!({ "op": "delete", "index": n + 5 })))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("no_such_item")), "{b}");
    assert_eq!(
        (b["error"]["params"]["row"].as_str(), b["error"]["params"]["rows"].clone()),
        (Some(&*(n + 6).to_string()), json!(n.to_string())),
        "{b}"
    );
    let trim = json!({ "op": "trim", "index": 0, "in_point": 0, "duration": 0 });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(edit(trim))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("no_length")), "{b}");
    // A locked row refuses a delete with its row; the day is unchanged by all of these.
    let (s, b) = call(
        &app,
        Method::POST,
        &format!("{dp}/edits"),
        Some(edit(json!({ "op": "lock", "index": 2, "locked": true }))),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let del = json!({ "version": 2, "op": { "op": "delete", "index": 2 } });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(del)).await;
    assert_eq!(
        (s, b["error"]["code"].as_str(), b["error"]["params"]["row"].as_str()),
        (409, Some("locked"), Some("3")),
        "{b}"
    );
    let stale = json!({ "version": 1, "op": { "op": "delete", "index": 0 } });
    let (s, b) = call(&app, Method::POST, &format!("{dp}/edits"), Some(stale)).await;
    assert_eq!((s, b["error"]["code"].as_str()), (409, Some("conflict")), "{b}");
    assert_eq!(
        (b["error"]["params"]["expected"].as_str(), b["error"]["params"]["current"].as_str()),
        (Some("1"), Some("2")),
        "{b}"
    );
    let (s, b) = call(&app, Method::GET, &dp, None).await;
    assert_eq!((s, b["version"].as_i64()), (200, Some(2)), "{b}");
    // A bad date names the text.
    let (s, b) = call(&app, Method::GET, &dp.replace(&day().to_string(), "2030-02-31"), None).await;
    assert_eq!(
        (s, b["error"]["code"].as_str(), b["error"]["params"]["text"].as_str()),
        (422, Some("bad_date"), Some("2030-02-31")),
        "{b}"
    );
});

both!(the_rule_breaks_of_a_preview_carry_a_code_and_the_values_of_their_reason, |app| {
    let ch = setup(&app).await;
    let base = format!("/api/channels/{}", ch.id);
    let mut t = template();
    t["quotas"] = json!([{ "name": "涉农 ≥ 20 h", "filter": { "categories": ["涉农"] }, "from": "06:00", "until": "06:00",
        "min": { "minutes": 1200 } }]);
    let body = json!({ "template": t, "date": day().to_string(), "seed": 3 });
    let (s, b) = call(&app, Method::POST, &format!("{base}/template/preview"), Some(body)).await;
    assert_eq!(s, 200, "{b}");
    let breaks = b["exceptions"].as_array().unwrap();
    let quota = breaks.iter().find(|x| x["rule"] == "quota").unwrap_or_else(|| panic!("no quota break: {b}"));
    let phrase = &quota["reason_phrase"];
    assert_eq!(phrase["code"], "quota", "{quota}");
    assert_eq!(phrase["params"]["quota"], "涉农 ≥ 20 h", "{quota}");
    assert_eq!(phrase["params"]["required"], "20:00:00:00", "{quota}");
    assert!(phrase["params"]["achieved"].as_str().is_some_and(|a| a < "20:00:00:00"), "{quota}");
    assert!(quota["reason"].as_str().unwrap().contains("achieved"), "the English stays: {quota}");
    // Every break has a phrase the UI can word.
    for x in breaks {
        assert!(x["reason_phrase"]["code"].as_str().is_some_and(|c| !c.is_empty()), "{x}");
    }
});

both!(a_compact_day_leaves_out_the_english_beside_each_reason_phrase, |app| {
    let (dp, _) = generated(&app).await;
    let (s, full) = call(&app, Method::GET, &dp, None).await;
    assert_eq!(s, 200, "{full}");
    let (s, compact) = call(&app, Method::GET, &format!("{dp}?compact=true"), None).await;
    assert_eq!(s, 200, "{compact}");
    assert!(
        compact.to_string().len() * 10 < full.to_string().len() * 9,
        "{} B compact, {} B full",
        compact.to_string().len(),
        full.to_string().len()
    );
    // The same day; the English `why` is left out only beside a reason.
    assert_eq!(items(&full).len(), items(&compact).len());
    for (f, c) in items(&full).iter().zip(items(&compact)) {
        assert!(f["why"].is_string() && c["reason"].is_object() && c.get("why").is_none(), "{f} {c}");
        let mut f = f.clone();
        f.as_object_mut().unwrap().remove("why");
        assert_eq!(&f, c);
    }
    assert_eq!(
        (compact["version"].clone(), compact["findings"].clone()),
        (full["version"].clone(), full["findings"].clone())
    );
    let (s, b) = call(&app, Method::GET, &format!("{dp}?compact=yes"), None).await;
    assert_eq!(s, 400, "{b}");
});
