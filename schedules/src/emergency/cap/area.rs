//! CAP `<area>`: description, polygons, circles, geocodes (GB/T 2260 checked), altitude.

use super::parse::{is_gbt2260_name, named_values, text};
use super::CapArea;
use crate::emergency::area_code::AreaCode;
use crate::emergency::geo::{Circle, Polygon};
use crate::emergency::reason::{ReasonCode as C, Reasons};
use crate::emergency::xml::Element;

pub(super) fn area(el: &Element, path: &str, r: &mut Reasons) -> Option<CapArea> {
    let before = r.0.len();
    let desc = text(el, "areaDesc", path, r);
    let polygons: Vec<Polygon> = el
        .children_named("polygon")
        .enumerate()
        .filter_map(|(i, p)| {
            Polygon::parse_cap(&p.text).map_err(|m| r.push(C::InvalidPolygon, m, &format!("{path}/polygon[{i}]"))).ok()
        })
        .collect();
    let circles: Vec<Circle> = el
        .children_named("circle")
        .enumerate()
        .filter_map(|(i, c)| {
            Circle::parse_cap(&c.text).map_err(|m| r.push(C::InvalidCircle, m, &format!("{path}/circle[{i}]"))).ok()
        })
        .collect();
    let geocodes = named_values(el, "geocode", path, r);
    for (i, g) in geocodes.iter().enumerate() {
        if is_gbt2260_name(&g.value_name) {
            if let Err(m) = AreaCode::parse(&g.value) {
                r.push(C::InvalidGeocode, m, &format!("{path}/geocode[{i}]/value"));
            }
        }
    }
    let altitude = number(el, "altitude", path, r);
    let ceiling = number(el, "ceiling", path, r);
    if ceiling.is_some() && altitude.is_none() {
        r.push(C::InvalidValue, "ceiling is only used with altitude", &format!("{path}/ceiling"));
    }
    if r.0.len() > before {
        return None;
    }
    Some(CapArea { desc: desc?, polygons, circles, geocodes, altitude, ceiling })
}

fn number(el: &Element, name: &str, parent: &str, r: &mut Reasons) -> Option<f64> {
    let t = el.child_text(name)?;
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            r.push(C::InvalidValue, format!("{name} {t:?} is not a number"), &format!("{parent}/{name}"));
            None
        }
    }
}
