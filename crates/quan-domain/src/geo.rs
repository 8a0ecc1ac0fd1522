//! Places on the earth and the rules of community group buying's pickup points
//! (PRODUCT.md §4): a [`GeoPoint`] kept in whole microdegrees (exact in the store,
//! about 0.1 m), great-circle distances, and a leader's service radius (3 km by
//! default, 5 km at most).

use crate::ParseError;
use crate::circles::str_enum;

/// The earth's mean radius, in metres (IUGG), for great-circle distances.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// A leader's service radius when none is given, in metres.
pub const DEFAULT_RADIUS_M: i64 = 3_000;
/// The widest service radius, in metres: a pickup point is a walk away.
pub const MAX_RADIUS_M: i64 = 5_000;
/// The narrowest service radius, in metres.
pub const MIN_RADIUS_M: i64 = 100;

/// A point on the earth, latitude and longitude in microdegrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GeoPoint {
    lat_e6: i32,
    lon_e6: i32,
}

impl GeoPoint {
    /// A point from degrees; out of range or not a number is refused.
    pub fn new(lat: f64, lon: f64) -> Result<Self, ParseError> {
        let bad = |m: &str| ParseError::new("location", "invalid_coordinates", m.to_owned());
        if !lat.is_finite() || !lon.is_finite() {
            return Err(bad("latitude and longitude are numbers"));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(bad("latitude is between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(bad("longitude is between -180 and 180"));
        }
        // In range, so the microdegrees fit an i32 (±180,000,000).
        #[allow(clippy::cast_possible_truncation)]
        let (lat_e6, lon_e6) = ((lat * 1e6).round() as i32, (lon * 1e6).round() as i32);
        Ok(Self { lat_e6, lon_e6 })
    }

    /// A point as the store keeps it; out of range is refused.
    pub fn from_e6(lat_e6: i64, lon_e6: i64) -> Result<Self, ParseError> {
        // Whole microdegrees are exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let (lat, lon) = (lat_e6 as f64 / 1e6, lon_e6 as f64 / 1e6);
        Self::new(lat, lon)
    }

    pub const fn lat_e6(self) -> i32 {
        self.lat_e6
    }
    pub const fn lon_e6(self) -> i32 {
        self.lon_e6
    }
    pub fn lat(self) -> f64 {
        f64::from(self.lat_e6) / 1e6
    }
    pub fn lon(self) -> f64 {
        f64::from(self.lon_e6) / 1e6
    }

    /// The point on a sphere of the earth's radius, in metres from its centre:
    /// straight-line (chord) distances between such points order exactly as
    /// great-circle distances do, so a plain 3-D index finds the nearest.
    pub fn to_xyz(self) -> [f64; 3] {
        let (lat, lon) = (self.lat().to_radians(), self.lon().to_radians());
        [
            EARTH_RADIUS_M * lat.cos() * lon.cos(),
            EARTH_RADIUS_M * lat.cos() * lon.sin(),
            EARTH_RADIUS_M * lat.sin(),
        ]
    }

    /// Great-circle distance in metres (haversine).
    pub fn distance_m(self, other: Self) -> f64 {
        let (a, b) = (self.lat().to_radians(), other.lat().to_radians());
        let dlat = b - a;
        let dlon = (other.lon() - self.lon()).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + a.cos() * b.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }
}

/// The straight-line distance through the sphere between two points `m` metres
/// apart along it: what [`GeoPoint::to_xyz`] points are compared by.
pub fn chord_m(m: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * (m / (2.0 * EARTH_RADIUS_M)).sin()
}

/// The great-circle metres between two [`GeoPoint::to_xyz`] points `chord` apart.
pub fn arc_m(chord: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * (chord / (2.0 * EARTH_RADIUS_M)).clamp(-1.0, 1.0).asin()
}

/// A leader's service radius in metres: [`MIN_RADIUS_M`] to [`MAX_RADIUS_M`].
pub fn parse_radius(m: i64) -> Result<i64, ParseError> {
    if m > MAX_RADIUS_M {
        return Err(ParseError::new(
            "radius_m",
            "radius_too_large",
            format!("a service radius is at most {MAX_RADIUS_M} m"),
        ));
    }
    if m < MIN_RADIUS_M {
        return Err(ParseError::new(
            "radius_m",
            "invalid_radius",
            format!("a service radius is at least {MIN_RADIUS_M} m"),
        ));
    }
    Ok(m)
}

/// A leader's commission in basis points of an order's paid amount (0 to 30 %).
pub fn parse_commission_bp(bp: i64) -> Result<i64, ParseError> {
    if (0..=3_000).contains(&bp) {
        Ok(bp)
    } else {
        Err(ParseError::new(
            "commission_bp",
            "invalid_commission",
            "a commission is 0 to 3000 basis points (0 to 30 %)",
        ))
    }
}

/// Orders a pickup point can hold on one delivery day.
pub fn parse_capacity(n: i64) -> Result<i64, ParseError> {
    if (1..=100_000).contains(&n) {
        Ok(n)
    } else {
        Err(ParseError::new(
            "capacity",
            "invalid_capacity",
            "a capacity is 1 to 100000 orders a day",
        ))
    }
}

str_enum! {
    /// What a pickup point is.
    PickupKind, "kind", "invalid_pickup_kind" {
        /// The leader's own home (a neighbourhood leader).
        Home = "home",
        /// A shop that keeps orders for its neighbours.
        Store = "store",
        /// A parcel station or locker.
        ParcelStation = "parcel_station",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn distances_match_the_map() {
        // West Lake's Broken Bridge to Hangzhou East station: about 6.9 km.
        let bridge = p(30.2610, 120.1530);
        let east = p(30.2905, 120.2126);
        let d = bridge.distance_m(east);
        assert!((6_500.0..7_300.0).contains(&d), "{d}");
        assert!(bridge.distance_m(bridge).abs() < 1e-6);
        // A degree of latitude is about 111.2 km anywhere.
        let d = p(0.0, 0.0).distance_m(p(1.0, 0.0));
        assert!((111_100.0..111_300.0).contains(&d), "{d}");
    }

    #[test]
    fn chords_order_as_arcs_and_convert_back() {
        let a = p(30.25, 120.15);
        let (near, far) = (p(30.26, 120.15), p(30.30, 120.20));
        let chord = |x: GeoPoint, y: GeoPoint| {
            let (u, v) = (x.to_xyz(), y.to_xyz());
            ((u[0] - v[0]).powi(2) + (u[1] - v[1]).powi(2) + (u[2] - v[2]).powi(2)).sqrt()
        };
        assert!(chord(a, near) < chord(a, far));
        for (x, y) in [(a, near), (a, far)] {
            let (arc, c) = (x.distance_m(y), chord(x, y));
            assert!((arc_m(c) - arc).abs() < 0.01, "{arc} vs {}", arc_m(c));
            assert!((chord_m(arc) - c).abs() < 0.01);
        }
    }

    #[test]
    fn coordinates_and_rules_are_bounded() {
        for (lat, lon) in [(91.0, 0.0), (-90.1, 0.0), (0.0, 180.5), (f64::NAN, 0.0)] {
            assert_eq!(
                GeoPoint::new(lat, lon).map_err(|e| e.code),
                Err("invalid_coordinates")
            );
        }
        let q = p(30.123_456_7, -120.000_000_4);
        assert_eq!((q.lat_e6(), q.lon_e6()), (30_123_457, -120_000_000));
        assert_eq!(GeoPoint::from_e6(30_123_457, -120_000_000), Ok(q));
        assert_eq!(
            parse_radius(5_001).map_err(|e| e.code),
            Err("radius_too_large")
        );
        assert_eq!(parse_radius(99).map_err(|e| e.code), Err("invalid_radius"));
        assert_eq!(parse_radius(DEFAULT_RADIUS_M), Ok(3_000));
        assert!(parse_commission_bp(3_001).is_err() && parse_commission_bp(-1).is_err());
        assert!(parse_capacity(0).is_err());
        assert_eq!(
            PickupKind::parse("parcel_station"),
            Ok(PickupKind::ParcelStation)
        );
    }
}
