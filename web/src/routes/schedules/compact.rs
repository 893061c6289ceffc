//! A day's playlist as the day editor opens it (`GET …/days/{date}?compact=true`): an item
//! with a `reason` phrase goes without its English `why` (the phrase says the same, worded by
//! the client), and each `reason` is an index into one table of the day's distinct reasons.
//! A generated 2,880-item day is mostly the same few dozen reasons, so it is sent in half the
//! bytes and parsed into far fewer objects.

use std::collections::HashMap;

use serde_json::Value;

/// Rewrites `playlist` (JSON of a `schedules::Playlist`) in place as described above; returns
/// the table of reasons the items' indices point into.
pub fn compact(playlist: &mut Value) -> Vec<Value> {
    let mut table = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let Some(items) = playlist.get_mut("items").and_then(Value::as_array_mut) else { return table };
    for item in items.iter_mut().filter_map(Value::as_object_mut) {
        let Some(reason) = item.get_mut("reason").filter(|r| r.is_object()) else { continue };
        let n = match index.get(&reason.to_string()) {
            Some(&n) => n,
            None => {
                index.insert(reason.to_string(), table.len());
                table.push(reason.take());
                table.len() - 1
            }
        };
        *reason = Value::from(n);
        item.remove("why");
    }
    table
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn repeated_reasons_become_one_entry_and_why_goes_only_where_a_reason_says_it() {
        let a = json!({ "code": "filler", "params": { "before": "早间" } });
        let mut p = json!({ "items": [
            { "title": "x", "why": "filler closing the gap", "reason": a },
            { "title": "y", "why": "filler closing the gap", "reason": a },
            { "title": "z", "why": "imported from CSV line 3" },
        ] });
        let table = super::compact(&mut p);
        assert_eq!(table, vec![a]);
        assert_eq!(p["items"][0], json!({ "title": "x", "reason": 0 }));
        assert_eq!(p["items"][1], json!({ "title": "y", "reason": 0 }));
        assert_eq!(p["items"][2]["why"], "imported from CSV line 3", "no phrase: the sentence stays");
    }
}
