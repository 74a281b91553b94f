use super::*;

#[test]
fn shipped_policies_load() {
    let p = Policy::kz_2013();
    assert_eq!(p.max_age, 7);
    assert_eq!(p.blocks, vec![Block::Strict(0), Block::Strict(1)]);
    assert_eq!(
        p.tier_of(&Category::parse("veteran_equated").unwrap()),
        Some(0)
    );
    assert_eq!(p.general_tier(), 1);
    let q = Policy::kz_2020();
    assert_eq!(q.max_age, 6);
    assert_eq!(
        q.blocks,
        vec![
            Block::Strict(0),
            Block::Pair {
                upper: 1,
                p: 1,
                g: 3
            }
        ]
    );
    assert_eq!(
        q.tier_of(&Category::parse("veteran_equated").unwrap()),
        None
    );
    assert!(q.tiers[0].in_person_check);
    assert_eq!(
        q.block_of(2),
        (
            1,
            Block::Pair {
                upper: 1,
                p: 1,
                g: 3
            }
        )
    );
}

fn with(replace: &str, by: &str) -> Result<Policy, PolicyError> {
    assert!(KZ_2020.contains(replace), "{replace}");
    Policy::from_toml(&KZ_2020.replacen(replace, by, 1))
}

#[test]
fn bad_files_name_the_key() {
    let cases = [
        ("max_age = 6", "max_age = 0", "max_age"),
        ("cutoff = \"09-01\"", "cutoff = \"13-01\"", "cutoff"),
        ("cutoff = \"09-01\"", "cutoff = \"02-29\"", "cutoff"),
        (
            "max_preferences = 3",
            "max_preferences = 0",
            "max_preferences",
        ),
        (
            "interleave = \"1:3\"",
            "interleave = \"1:0\"",
            "tiers[1].interleave",
        ),
        (
            "interleave = \"1:3\"",
            "interleave = \"x\"",
            "tiers[1].interleave",
        ),
        ("\"orphan\",", "\"military\",", "tiers[1].categories"),
        (
            "name = \"general\"",
            "name = \"general\"\ncategories = [\"x\"]",
            "tiers[2].categories",
        ),
        (
            "name = \"general\"",
            "name = \"out_of_turn\"",
            "tiers[2].name",
        ),
        (
            "confirm_working_days = 2",
            "confirm_working_days = 0",
            "referral.confirm_working_days",
        ),
        (
            "utc_offset_hours = 5",
            "utc_offset_hours = 40",
            "calendar.utc_offset_hours",
        ),
        (
            "weekend = [\"saturday\", \"sunday\"]",
            "weekend = [\"caturday\"]",
            "calendar.weekend[0]",
        ),
        ("\"05-09\"", "\"05-32\"", "calendar.holidays[9]"),
        ("max_age = 6", "max_age = 6\nmax_agee = 6", "max_agee"),
        (
            "on_decline = \"cancel\"",
            "on_decline = \"forget\"",
            "forget",
        ),
    ];
    for (from, to, key) in cases {
        let e = with(from, to).expect_err(to);
        assert!(e.to_string().contains(key), "{to}: {e}");
    }
}

#[test]
fn missing_key_is_named() {
    let e = Policy::from_toml(&KZ_2013.replace("max_preferences = 3\n", "")).unwrap_err();
    assert!(e.to_string().contains("max_preferences"), "{e}");
}

#[test]
fn chained_interleave_is_refused() {
    let text = KZ_2020.replace(
        "name = \"out_of_turn\"",
        "name = \"out_of_turn\"\ninterleave = \"1:1\"",
    );
    let e = Policy::from_toml(&text).unwrap_err();
    assert_eq!(e.key, "tiers[1].interleave");
}

#[test]
fn garbage_never_panics() {
    for s in ["", "=", "[[tiers]]", "name = 1", "\u{0}", "tiers = []"] {
        assert!(Policy::from_toml(s).is_err());
    }
}

#[test]
fn appeals_and_the_recording_day_have_defaults_and_bounds() {
    let p = Policy::from_toml(KZ_2013).unwrap();
    assert_eq!(p.appeal.working_days, 5);
    assert_eq!(p.appeal.to, None, "the district's education department");
    assert_eq!(p.referral.record_working_days, 1);
    let named = KZ_2013.replace(
        "[calendar]",
        "[appeal]\nworking_days = 10\nto_kk = \"Облыс әкімдігі\"\nto_ru = \"Акимат области\"\n\n[calendar]",
    );
    let p = Policy::from_toml(&named).unwrap();
    assert_eq!(p.appeal.working_days, 10);
    assert_eq!(
        p.appeal.to,
        Some(("Облыс әкімдігі".into(), "Акимат области".into()))
    );
    for (text, key) in [
        ("[appeal]\nworking_days = 0\n", "appeal.working_days"),
        ("[appeal]\nto_ru = \"Акимат\"\n", "appeal.to_kk"),
        (
            "[appeal]\nto_kk = \"   \"\nto_ru = \"Акимат\"\n",
            "appeal.to_kk",
        ),
    ] {
        let e = Policy::from_toml(&KZ_2013.replace("[calendar]", &format!("{text}\n[calendar]")))
            .unwrap_err();
        assert_eq!(e.key, key, "{text}");
    }
    let e = with(
        "on_lapse = \"requeue\"",
        "on_lapse = \"requeue\"\nrecord_working_days = 11",
    )
    .unwrap_err();
    assert_eq!(e.key, "referral.record_working_days");
}

#[test]
fn retention_is_kept_for_whole_years_and_named_when_out_of_bounds() {
    assert_eq!(
        Policy::from_toml(KZ_2020)
            .unwrap()
            .retention
            .years_after_leaving,
        None,
        "a policy without [retention] keeps every family until an order erases it"
    );
    let five = Policy::from_toml(&format!(
        "{KZ_2020}\n[retention]\nyears_after_leaving = 5\n"
    ))
    .unwrap();
    assert_eq!(five.retention.years_after_leaving, Some(5));
    for years in ["0", "76"] {
        let e = Policy::from_toml(&format!(
            "{KZ_2020}\n[retention]\nyears_after_leaving = {years}\n"
        ))
        .unwrap_err();
        assert!(
            e.to_string().contains("retention.years_after_leaving"),
            "{e}"
        );
    }
}
