//! Station names for the generator: a built-in list of real places with their approximate
//! yearly mean temperature, and made-up names past its end.
//!
//! The list mixes ASCII with Latin accents, other scripts (Cyrillic, Greek, Arabic, CJK,
//! Devanagari, Hangul), a one-byte name (`Y`, a village in France) and long ones, so that the
//! parsers meet every kind of name the format allows.

use std::collections::HashSet;

use crate::rng::Rng;

/// Real places and their yearly mean temperature, in tenths of a degree.
pub const BUILT_IN: &[(&str, i16)] = &[
    ("Abha", 180),
    ("Abidjan", 260),
    ("Accra", 264),
    ("Addis Ababa", 160),
    ("Adelaide", 173),
    ("Albuquerque", 140),
    ("Alexandria", 200),
    ("Almaty", 100),
    ("Amsterdam", 102),
    ("Anchorage", 28),
    ("Athens", 192),
    ("Αθήνα", 192),
    ("Auckland", 152),
    ("Baghdad", 228),
    ("Bangkok", 286),
    ("Barcelona", 182),
    ("Beijing", 129),
    ("北京", 129),
    ("Beirut", 209),
    ("Belgrade", 125),
    ("Bergen", 77),
    ("Berlin", 103),
    ("Bogotá", 134),
    ("Boston", 109),
    ("Bratislava", 105),
    ("Brisbane", 214),
    ("Bucharest", 108),
    ("Budapest", 113),
    ("Buenos Aires", 180),
    ("Cairo", 214),
    ("القاهرة", 214),
    ("Canberra", 131),
    ("Cape Town", 162),
    ("Chicago", 98),
    ("Ciudad de México", 175),
    ("Copenhagen", 91),
    ("Dakar", 240),
    ("Dallas", 190),
    ("Delhi", 250),
    ("Denver", 104),
    ("Dhaka", 259),
    ("Dubai", 269),
    ("Dublin", 98),
    ("Düsseldorf", 111),
    ("Edinburgh", 93),
    ("Fairbanks", -23),
    ("Göteborg", 82),
    ("Hanoi", 236),
    ("Harare", 184),
    ("Helsinki", 59),
    ("Hong Kong", 233),
    ("Honolulu", 254),
    ("Istanbul", 139),
    ("İzmir", 179),
    ("Jakarta", 267),
    ("Jerusalem", 182),
    ("Johannesburg", 156),
    ("Kabul", 121),
    ("Karachi", 260),
    ("Kathmandu", 183),
    ("Kinshasa", 253),
    ("Kraków", 87),
    ("Kyiv", 84),
    ("Київ", 84),
    ("La Paz", 233),
    ("Lagos", 268),
    ("Lima", 199),
    ("Lisbon", 175),
    ("Ljubljana", 109),
    ("London", 113),
    ("Los Angeles", 186),
    ("Luxembourg", 93),
    ("Madrid", 150),
    ("Malmö", 89),
    ("Manila", 284),
    ("Marrakesh", 196),
    ("Melbourne", 151),
    ("Miami", 249),
    ("Montréal", 68),
    ("Moscow", 58),
    ("Москва", 58),
    ("Mumbai", 271),
    ("मुंबई", 271),
    ("Nairobi", 178),
    ("New Delhi", 250),
    ("New York City", 129),
    ("Nouakchott", 257),
    ("Nuuk", -14),
    ("Oslo", 57),
    ("Ottawa", 66),
    ("Palermo", 185),
    ("Paris", 123),
    ("Perth", 187),
    ("Prague", 84),
    ("Québec", 53),
    ("Reykjavík", 43),
    ("Riga", 62),
    ("Rio de Janeiro", 238),
    ("Rome", 152),
    ("Santiago", 145),
    ("São Paulo", 192),
    ("Seoul", 125),
    ("서울", 125),
    ("Singapore", 270),
    ("Sofia", 106),
    ("Stockholm", 66),
    ("Sydney", 177),
    ("Taipei", 230),
    ("Tallinn", 64),
    ("Tbilisi", 129),
    ("Tehran", 170),
    ("Thessaloniki", 160),
    ("Tokyo", 154),
    ("東京", 154),
    ("Toronto", 94),
    ("Tromsø", 29),
    ("Ulaanbaatar", -4),
    ("Ürümqi", 74),
    ("Vancouver", 104),
    ("Vienna", 104),
    ("Vilnius", 60),
    ("Warsaw", 85),
    ("Wellington", 129),
    ("Yakutsk", -88),
    ("Yaoundé", 238),
    ("Zagreb", 107),
    ("Zürich", 93),
    ("Y", 112),
    ("Å", 46),
    (
        "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
        102,
    ),
    (
        "Taumatawhakatangihangakoauauotamateaturipukakapikimaungahoronukupokaiwhenuakitanatahu",
        152,
    ),
];

/// One writing system's pieces for made-up names: syllables and place-like endings. None
/// contains `;`, `\n` or `\r`.
struct Script {
    syllables: &'static [&'static str],
    suffixes: &'static [&'static str],
    /// Out of 100 made-up names, how many use this script.
    weight: u64,
}

const SCRIPTS: &[Script] = &[
    Script {
        syllables: &[
            "ka", "ri", "mo", "lu", "ten", "vor", "ber", "sa", "na", "to", "el", "an", "dor",
            "wick", "ham", "ford", "lin", "mar", "ston", "ley", "port", "wen", "gal", "tre",
        ],
        suffixes: &[
            "",
            "",
            "",
            "burg",
            "ville",
            "stad",
            "by",
            "heim",
            " Springs",
            " Harbour",
            "-sur-Mer",
            " Falls",
            " upon Tyne",
            "ton",
            "field",
        ],
        weight: 50,
    },
    Script {
        syllables: &[
            "ka", "ri", "mo", "lu", "ber", "sa", "na", "gå", "ø", "zü", "ñe", "ló", "çe", "ša",
            "ný", "ő", "ä", "ré", "kø", "ön", "ē", "ğu", "ţa", "ås", "bør", "mü", "él", "ij",
        ],
        suffixes: &[
            "", "", "", "ów", "köy", "by", "stad", "és", "ın", "ič", "øy",
        ],
        weight: 30,
    },
    Script {
        syllables: &[
            "ка", "ри", "мо", "лу", "ст", "ра", "но", "во", "ле", "ми", "та", "зе",
        ],
        suffixes: &["", "град", "ск", "ово", "ино"],
        weight: 10,
    },
    Script {
        syllables: &["λα", "το", "πο", "κα", "ρι", "νη", "θε", "σο", "μα", "ξα"],
        suffixes: &["", "πολη", "ιο", "ος"],
        weight: 5,
    },
    Script {
        syllables: &[
            "山", "川", "田", "京", "島", "原", "野", "港", "北", "南", "大", "小",
        ],
        suffixes: &["", "市", "町", "村"],
        weight: 5,
    },
];

/// Longest name, in bytes (the 1BRC limit).
const MAX_BYTES: usize = 100;

/// The first `count` stations: the built-in list, then unique made-up names with a yearly mean
/// drawn from -15.0 to 35.0. The same `rng` state gives the same stations.
pub fn stations(count: usize, rng: &mut Rng) -> Vec<(String, i16)> {
    let mut out: Vec<(String, i16)> = BUILT_IN
        .iter()
        .take(count)
        .map(|&(name, mean)| (name.to_string(), mean))
        .collect();
    let mut seen: HashSet<String> = out.iter().map(|(name, _)| name.clone()).collect();
    while out.len() < count {
        let name = made_up_name(rng);
        if seen.insert(name.clone()) {
            let mean = rng.below(501) as i16 - 150;
            out.push((name, mean));
        }
    }
    out
}

/// A made-up name in one script: mostly 4 to 16 bytes (about the length of real place names,
/// so generated files have the shape of the 1BRC's), 3 in 100 long (40 to 100 bytes, words
/// joined by spaces and dashes), 2 in 100 very short (1 to 3 bytes).
fn made_up_name(rng: &mut Rng) -> String {
    let mut pick = rng.below(100);
    let script = SCRIPTS
        .iter()
        .find(|s| {
            let hit = pick < s.weight;
            pick = pick.saturating_sub(s.weight);
            hit
        })
        .unwrap_or(&SCRIPTS[0]);
    let target = match rng.below(100) {
        0..=1 => 1 + rng.below(3) as usize,
        2..=4 => 40 + rng.below(61) as usize,
        _ => 4 + rng.below(13) as usize,
    };
    let suffix = if target > 3 {
        script.suffixes[rng.below(script.suffixes.len() as u64) as usize]
    } else {
        ""
    };
    let mut name = String::new();
    let mut word_bytes = 0;
    while name.len() + suffix.len() < target {
        // Long names are several words.
        if target > 30 && word_bytes > 6 && rng.below(3) == 0 {
            name.push(if rng.below(2) == 0 { ' ' } else { '-' });
            word_bytes = 0;
        }
        let syllable = script.syllables[rng.below(script.syllables.len() as u64) as usize];
        name.push_str(syllable);
        word_bytes += syllable.len();
    }
    name.push_str(suffix);
    // Syllables may overshoot the target: only very short names and the 100-byte limit cut.
    let max = if target <= 3 { target } else { MAX_BYTES };
    truncate_to(capitalize(&name), max)
}

/// Upper-cases the first character (which may change its length in bytes).
fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Cuts `name` to at most `max` bytes at a character boundary, keeping at least one character,
/// and trims a trailing space or dash.
fn truncate_to(mut name: String, max: usize) -> String {
    if name.len() > max {
        let mut end = max;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        if end == 0 {
            end = name.chars().next().map_or(0, char::len_utf8);
        }
        name.truncate(end);
    }
    while name.len() > 1 && (name.ends_with(' ') || name.ends_with('-')) {
        name.pop();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_names_are_valid_and_unique() {
        let names: HashSet<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), BUILT_IN.len());
        for (name, mean) in BUILT_IN {
            assert!((1..=MAX_BYTES).contains(&name.len()), "{name}");
            assert!(!name.contains([';', '\n', '\r']), "{name}");
            assert!((-999..=999).contains(mean));
        }
    }

    #[test]
    fn made_up_names_are_valid_unique_and_varied() {
        let all = stations(10_000, &mut Rng::new(7));
        assert_eq!(all.len(), 10_000);
        let unique: HashSet<&String> = all.iter().map(|(n, _)| n).collect();
        assert_eq!(unique.len(), 10_000);
        for (name, mean) in &all {
            assert!((1..=MAX_BYTES).contains(&name.len()), "{name:?}");
            assert!(!name.contains([';', '\n', '\r']), "{name:?}");
            assert!((-150..=350).contains(mean));
        }
        assert!(all.iter().any(|(n, _)| n.len() > 80));
        assert!(all.iter().any(|(n, _)| !n.is_ascii()));
        assert!(all.iter().any(|(n, _)| n.len() == 1));
    }

    #[test]
    fn same_seed_same_stations() {
        assert_eq!(
            stations(500, &mut Rng::new(3)),
            stations(500, &mut Rng::new(3))
        );
        assert_ne!(
            stations(500, &mut Rng::new(3)),
            stations(500, &mut Rng::new(4))
        );
    }
}
