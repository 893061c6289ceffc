//! WGS 84 shapes of alert areas (CAP 1.2 §3.2.4 `polygon`, `circle`) and the
//! overlap tests targeting needs.

use serde::{Deserialize, Serialize};

/// A WGS 84 point. Exists only with latitude in −90..=90 and longitude in −180..=180.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "[f64; 2]", into = "[f64; 2]")]
pub struct Point {
    lat: f64,
    lon: f64,
}

impl Point {
    /// A point, if both coordinates are finite and in range.
    ///
    /// # Errors
    /// A message naming the coordinate out of range.
    pub fn new(lat: f64, lon: f64) -> Result<Self, String> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(format!("latitude {lat} is outside -90..90"));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(format!("longitude {lon} is outside -180..180"));
        }
        Ok(Self { lat, lon })
    }

    /// Parses CAP's `lat,lon`.
    ///
    /// # Errors
    /// A message when the text is not two numbers in range.
    pub fn parse_pair(s: &str) -> Result<Self, String> {
        let (lat, lon) = s.split_once(',').ok_or_else(|| format!("{s:?} is not a lat,lon pair"))?;
        let lat: f64 = lat.trim().parse().map_err(|_| format!("{lat:?} is not a latitude"))?;
        let lon: f64 = lon.trim().parse().map_err(|_| format!("{lon:?} is not a longitude"))?;
        Self::new(lat, lon)
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        self.lon
    }
}

impl TryFrom<[f64; 2]> for Point {
    type Error = String;
    fn try_from(v: [f64; 2]) -> Result<Self, String> {
        Self::new(v[0], v[1])
    }
}

impl From<Point> for [f64; 2] {
    fn from(p: Point) -> Self {
        [p.lat, p.lon]
    }
}

/// A closed polygon of at least four points whose first and last are equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Point>", into = "Vec<Point>")]
pub struct Polygon(Vec<Point>);

impl Polygon {
    /// A polygon from its points.
    ///
    /// # Errors
    /// A message when there are fewer than four points or the ring is not closed.
    pub fn new(points: Vec<Point>) -> Result<Self, String> {
        if points.len() < 4 {
            return Err(format!("a polygon needs at least 4 coordinate pairs, found {}", points.len()));
        }
        if points.first() != points.last() {
            return Err("a polygon must be closed: the first and last pairs must be equal".into());
        }
        Ok(Self(points))
    }

    /// Parses CAP's whitespace-separated `lat,lon` pairs.
    ///
    /// # Errors
    /// A message for the first bad pair or the shape rule broken.
    pub fn parse_cap(s: &str) -> Result<Self, String> {
        let points = s.split_whitespace().map(Point::parse_pair).collect::<Result<Vec<_>, _>>()?;
        Self::new(points)
    }

    /// The ring's points, the first repeated at the end.
    pub fn points(&self) -> &[Point] {
        &self.0
    }

    /// Even-odd point-in-polygon test in the lat/lon plane (adequate at county scale).
    pub fn contains(&self, p: Point) -> bool {
        let mut inside = false;
        for w in self.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a.lat > p.lat) != (b.lat > p.lat) {
                let x = a.lon + (p.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
                if p.lon < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Whether two polygons share any area or boundary.
    pub fn overlaps(&self, other: &Polygon) -> bool {
        self.0.iter().any(|p| other.contains(*p))
            || other.0.iter().any(|p| self.contains(*p))
            || self.0.windows(2).any(|e| other.0.windows(2).any(|f| segments_cross(e[0], e[1], f[0], f[1])))
    }

    /// Whether `other` lies wholly inside this polygon (every vertex inside, no edges
    /// crossing).
    pub fn encloses(&self, other: &Polygon) -> bool {
        other.0.iter().all(|p| self.contains(*p))
            && !self.0.windows(2).any(|e| other.0.windows(2).any(|f| segments_cross(e[0], e[1], f[0], f[1])))
    }

    /// Whether circle `c` lies wholly inside this polygon.
    pub fn encloses_circle(&self, c: &Circle) -> bool {
        self.contains(c.centre)
            && self.0.windows(2).all(|e| distance_to_segment_km(c.centre, e[0], e[1]) >= c.radius_km)
    }

    /// Whether two edges that are not neighbours cross (a figure-of-eight ring).
    pub fn crosses_itself(&self) -> bool {
        let edges: Vec<(Point, Point)> = self.0.windows(2).map(|w| (w[0], w[1])).collect();
        let n = edges.len();
        (0..n).any(|i| {
            (i + 2..n).any(|j| {
                // The first and last edges share the closing point.
                !(i == 0 && j == n - 1) && segments_cross(edges[i].0, edges[i].1, edges[j].0, edges[j].1)
            })
        })
    }

    /// Whether a circle touches this polygon.
    pub fn touches_circle(&self, c: &Circle) -> bool {
        self.contains(c.centre)
            || self.0.windows(2).any(|e| distance_to_segment_km(c.centre, e[0], e[1]) <= c.radius_km)
    }
}

impl TryFrom<Vec<Point>> for Polygon {
    type Error = String;
    fn try_from(v: Vec<Point>) -> Result<Self, String> {
        Self::new(v)
    }
}

impl From<Polygon> for Vec<Point> {
    fn from(p: Polygon) -> Self {
        p.0
    }
}

/// A circle: centre and radius in kilometres (CAP `lat,lon radius`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Circle {
    /// Centre.
    pub centre: Point,
    /// Radius in km, finite and ≥ 0.
    pub radius_km: f64,
}

impl Circle {
    /// Parses CAP's `lat,lon radius`.
    ///
    /// # Errors
    /// A message when the point or radius is malformed.
    pub fn parse_cap(s: &str) -> Result<Self, String> {
        let mut parts = s.split_whitespace();
        let (Some(centre), Some(radius), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("{s:?} is not \"lat,lon radius\""));
        };
        let centre = Point::parse_pair(centre)?;
        let radius_km: f64 = radius.parse().map_err(|_| format!("{radius:?} is not a radius in km"))?;
        Self::new(centre, radius_km)
    }

    /// A circle, if the radius is finite and not negative.
    ///
    /// # Errors
    /// A message for a bad radius.
    pub fn new(centre: Point, radius_km: f64) -> Result<Self, String> {
        if !radius_km.is_finite() || radius_km < 0.0 {
            return Err(format!("radius {radius_km} km must be a number ≥ 0"));
        }
        Ok(Self { centre, radius_km })
    }
}

fn segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool {
    fn orient(p: Point, q: Point, r: Point) -> f64 {
        (q.lon - p.lon) * (r.lat - p.lat) - (q.lat - p.lat) * (r.lon - p.lon)
    }
    let (d1, d2) = (orient(c, d, a), orient(c, d, b));
    let (d3, d4) = (orient(a, b, c), orient(a, b, d));
    ((d1 > 0.0) != (d2 > 0.0) || d1 == 0.0 || d2 == 0.0)
        && ((d3 > 0.0) != (d4 > 0.0) || d3 == 0.0 || d4 == 0.0)
        && bbox_overlap(a, b, c, d)
}

fn bbox_overlap(a: Point, b: Point, c: Point, d: Point) -> bool {
    a.lat.min(b.lat) <= c.lat.max(d.lat)
        && c.lat.min(d.lat) <= a.lat.max(b.lat)
        && a.lon.min(b.lon) <= c.lon.max(d.lon)
        && c.lon.min(d.lon) <= a.lon.max(b.lon)
}

/// Distance from `p` to segment `ab` in km, on a local equirectangular projection
/// (error well under 1 % at county scale).
fn distance_to_segment_km(p: Point, a: Point, b: Point) -> f64 {
    const KM_PER_DEG: f64 = 111.195;
    let k = p.lat.to_radians().cos();
    let xy = |q: Point| ((q.lon - p.lon) * k * KM_PER_DEG, (q.lat - p.lat) * KM_PER_DEG);
    let (ax, ay) = xy(a);
    let (bx, by) = xy(b);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) };
    let (cx, cy) = (ax + t * dx, ay + t * dy);
    (cx * cx + cy * cy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lat: f64, lon: f64, size: f64) -> Polygon {
        Polygon::parse_cap(&format!(
            "{lat},{lon} {},{lon} {},{} {lat},{} {lat},{lon}",
            lat + size,
            lat + size,
            lon + size,
            lon + size
        ))
        .unwrap()
    }

    #[test]
    fn polygon_must_have_four_pairs_and_be_closed() {
        assert!(Polygon::parse_cap("26.5,101.9 26.6,101.9 26.6,102.0").is_err());
        let open = Polygon::parse_cap("26.5,101.9 26.6,101.9 26.6,102.0 26.5,102.0").unwrap_err();
        assert!(open.contains("closed"), "{open}");
        assert!(Polygon::parse_cap("95,101.9 26.6,101.9 26.6,102.0 95,101.9").is_err());
        assert!(Polygon::parse_cap("26,181 26.6,101.9 26.6,102.0 26,181").is_err());
    }

    #[test]
    fn circle_is_point_and_radius() {
        let c = Circle::parse_cap("26.89,102.11 10").unwrap();
        assert_eq!(c.radius_km, 10.0);
        assert!(Circle::parse_cap("26.89,102.11").is_err());
        assert!(Circle::parse_cap("26.89,102.11 -1").is_err());
    }

    #[test]
    fn enclosure_and_self_crossing() {
        let big = square(26.0, 101.0, 1.0);
        assert!(big.encloses(&square(26.2, 101.2, 0.3)));
        assert!(!big.encloses(&square(26.8, 101.8, 0.5)), "sticks out");
        let inside = Circle::new(Point::new(26.5, 101.5).unwrap(), 5.0).unwrap();
        let leaving = Circle::new(Point::new(26.5, 101.5).unwrap(), 80.0).unwrap();
        assert!(big.encloses_circle(&inside) && !big.encloses_circle(&leaving));
        assert!(!big.crosses_itself());
        let bow = Polygon::parse_cap("26,101 27,102 26,102 27,101 26,101").unwrap();
        assert!(bow.crosses_itself());
    }

    #[test]
    fn overlap_and_containment() {
        let a = square(26.0, 101.0, 1.0);
        let b = square(26.5, 101.5, 1.0);
        let far = square(30.0, 104.0, 1.0);
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&far));
        assert!(a.contains(Point::new(26.5, 101.5).unwrap()));
        let near = Circle::new(Point::new(26.5, 102.05).unwrap(), 10.0).unwrap();
        let away = Circle::new(Point::new(26.5, 102.5).unwrap(), 10.0).unwrap();
        assert!(a.touches_circle(&near));
        assert!(!a.touches_circle(&away));
    }
}
