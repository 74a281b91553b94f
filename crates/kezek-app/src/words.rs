//! Kezek's words in Kazakh and Russian, shared by the printed documents, the error messages
//! and the console: the two languages, the titles and field labels of documents, and every
//! code a document or a page shows (tiers, categories, languages, statuses, decisions,
//! channels, documents, grounds of refusal) — a code without words prints as itself — and
//! how an instant reads: the authority's local date and time, to the minute.

/// A reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Kazakh.
    Kk,
    /// Russian.
    Ru,
}

/// An instant as the authority's local date and time, to the minute (`01.12.2026 17:05`).
#[must_use]
pub fn local_time(at: jiff::Timestamp, offset: jiff::tz::Offset) -> String {
    at.to_zoned(jiff::tz::TimeZone::fixed(offset))
        .strftime("%d.%m.%Y %H:%M")
        .to_string()
}

/// Kazakh and Russian.
pub(crate) type Both = (&'static str, &'static str);

/// The one of `both` in `lang`.
pub(crate) fn pick((kk, ru): Both, lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => kk,
        Lang::Ru => ru,
    }
}

/// The title of a document of `kind`.
#[must_use]
pub fn title(kind: &str, lang: Lang) -> Option<&'static str> {
    let both = match kind {
        "queue_notification" => (
            "Кезекке қою туралы хабарлама",
            "Уведомление о постановке в очередь",
        ),
        "referral" => (
            "Мектепке дейінгі ұйымға жолдама",
            "Направление в дошкольную организацию",
        ),
        "refusal" => (
            "Қызмет көрсетуден дәлелді бас тарту",
            "Мотивированный отказ в оказании услуги",
        ),
        "priority_decision" => ("Жеңілдік бойынша шешім", "Решение по заявленной льготе"),
        "admission" => (
            "Балабақшаға қабылдау туралы шешім",
            "Решение о приёме в детский сад",
        ),
        _ => return None,
    };
    Some(pick(both, lang))
}

/// The label of a field (or of a part of the page).
#[must_use]
pub fn label(key: &str, lang: Lang) -> Option<&'static str> {
    let both = match key {
        "id" => ("Құжат нөмірі", "Номер документа"),
        "issued_at" => ("Берілген күні", "Дата выдачи"),
        "application_id" => ("Өтініш нөмірі", "Номер заявления"),
        "child_name" => ("Баланың аты-жөні", "ФИО ребёнка"),
        "child_iin" => ("Баланың ЖСН", "ИИН ребёнка"),
        "birth_date" => ("Туған күні", "Дата рождения"),
        "applicant_name" => ("Өтініш беруші", "Заявитель"),
        "language" => ("Оқыту тілі", "Язык обучения"),
        "category" => ("Жеңілдік санаты", "Льготная категория"),
        "priority_status" => ("Жеңілдіктің мәртебесі", "Статус льготы"),
        "tier" => ("Кезек", "Очередь"),
        "registered_at" => ("Кезекке қойылған күні", "Дата постановки в очередь"),
        "queue_number" => ("Кезектегі нөмірі", "Номер в очереди"),
        "positions" => (
            "Таңдалған балабақшалардағы орны",
            "Место в выбранных детских садах",
        ),
        "kindergarten_name" => ("Балабақша", "Детский сад"),
        "kindergarten_address" => ("Мекенжайы", "Адрес"),
        "group" => ("Топ", "Группа"),
        "referral_id" => ("Жолдама нөмірі", "Номер направления"),
        "confirm_by" => ("Жолдаманы растау мерзімі", "Подтвердить направление до"),
        "enrol" => ("Балабақшаға келу мерзімі", "Срок явки в детский сад"),
        "bring" => (
            "Балабақшаға апаратын құжаттар",
            "Документы для детского сада",
        ),
        "refused_at" => ("Бас тартылған күні", "Дата отказа"),
        "channel" => ("Өтініш қабылданған жер", "Место подачи"),
        "grounds" => ("Бас тарту негіздері", "Основания отказа"),
        "missing" => ("Жетіспейтін құжаттар", "Недостающие документы"),
        "decision" => ("Шешім", "Решение"),
        "reason" => ("Негізі", "Основание"),
        "decided_at" => ("Шешім күні", "Дата решения"),
        "back_in_queue" => ("Кезекке қайтарылды", "Возвращён в очередь"),
        "check" => (
            "Құжаттың түпнұсқалығын тексеру",
            "Проверка подлинности документа",
        ),
        "signature" => ("Қолтаңба (Ed25519)", "Подпись (Ed25519)"),
        "key_id" => ("Қолтаңба кілті", "Ключ подписи"),
        "digest" => ("Құжаттың хэші (SHA-256)", "Хэш документа (SHA-256)"),
        "place" => ("орын", "место"),
        "years" => ("жас", "лет"),
        "working_days_after_confirming" => (
            "жұмыс күні ішінде, растағаннан кейін",
            "рабочих дней после подтверждения",
        ),
        "service" => (
            "Мектепке дейінгі ұйымдарға кезек — Kezek",
            "Очередь в дошкольные организации — Kezek",
        ),
        "local_time" => ("жергілікті уақыт", "местное время"),
        "inclusive" => ("қоса алғанда", "включительно"),
        _ => return None,
    };
    Some(pick(both, lang))
}

/// The words of every code value: tiers, categories, languages, statuses, decisions,
/// channels, documents, grounds of refusal, yes and no.
const VALUES: &[(&str, Both)] = &[
    ("out_of_turn", ("Кезектен тыс", "Вне очереди")),
    ("first_priority", ("Бірінші кезекте", "Первоочередная")),
    ("general", ("Жалпы кезек", "Общая очередь")),
    (
        "military",
        ("Әскери қызметшілердің балалары", "Дети военнослужащих"),
    ),
    (
        "special_state_body",
        (
            "Арнаулы мемлекеттік органдар қызметкерлерінің балалары",
            "Дети сотрудников специальных государственных органов",
        ),
    ),
    (
        "disabled_parent",
        (
            "Ата-анасының бірі мүгедектігі бар адам",
            "Один из родителей — лицо с инвалидностью",
        ),
    ),
    (
        "no_parental_care",
        (
            "Ата-анасының қамқорлығынсыз қалған бала",
            "Ребёнок, оставшийся без попечения родителей",
        ),
    ),
    ("orphan", ("Жетім бала", "Ребёнок-сирота")),
    ("large_family", ("Көп балалы отбасы", "Многодетная семья")),
    (
        "special_needs",
        (
            "Ерекше білім беру қажеттіліктері бар бала",
            "Ребёнок с особыми образовательными потребностями",
        ),
    ),
    (
        "veteran_equated",
        (
            "Ардагерлерге теңестірілген адамның баласы",
            "Ребёнок лица, приравненного к ветеранам",
        ),
    ),
    ("kk", ("қазақ тілі", "казахский язык")),
    ("ru", ("орыс тілі", "русский язык")),
    ("none", ("жоқ", "нет")),
    ("pending", ("тексерілуде", "на проверке")),
    ("verified", ("расталды", "подтверждена")),
    ("rejected", ("қабылданбады", "отклонена")),
    (
        "admitted",
        ("балабақшаға қабылданды", "принят в детский сад"),
    ),
    (
        "not_admitted",
        ("балабақшаға қабылданбады", "не принят в детский сад"),
    ),
    ("queued", ("кезекте", "в очереди")),
    ("referred", ("жолдама берілді", "выдано направление")),
    ("enrolled", ("балабақшаға қабылданды", "зачислен")),
    ("withdrawn", ("кері қайтарылды", "отозвано")),
    ("cancelled", ("жойылды", "аннулировано")),
    ("aged_out", ("жасы бойынша шықты", "выбыл по возрасту")),
    ("issued", ("берілді", "выдано")),
    ("confirmed", ("расталды", "подтверждено")),
    ("declined", ("бас тартылды", "отказ")),
    ("lapsed", ("мерзімі өтті", "срок истёк")),
    ("no_show", ("келмеді", "неявка")),
    ("released", ("босатылды", "освобождено")),
    (
        "portal",
        (
            "«Электрондық үкімет» порталы",
            "Портал «электронного правительства»",
        ),
    ),
    (
        "service_center",
        (
            "Халыққа қызмет көрсету орталығы",
            "Центр обслуживания населения",
        ),
    ),
    (
        "office",
        ("Білім бөлімінің кеңсесі", "Канцелярия отдела образования"),
    ),
    ("application_form", ("Өтініш", "Заявление")),
    (
        "applicant_id",
        (
            "Өтініш берушінің жеке басын куәландыратын құжат",
            "Документ, удостоверяющий личность заявителя",
        ),
    ),
    (
        "benefit_proof",
        (
            "Жеңілдікке құқықты растайтын құжат",
            "Документ, подтверждающий право на льготу",
        ),
    ),
    (
        "address_proof",
        (
            "Тұрғылықты жерін растайтын құжат",
            "Документ, подтверждающий место жительства",
        ),
    ),
    (
        "birth_certificate",
        (
            "Баланың туу туралы куәлігі",
            "Свидетельство о рождении ребёнка",
        ),
    ),
    ("referral", ("Осы жолдама", "Настоящее направление")),
    (
        "health_record",
        (
            "Баланың денсаулық паспорты (026/е нысаны)",
            "Паспорт здоровья ребёнка (форма 026/у)",
        ),
    ),
    (
        "vaccination_record",
        (
            "Профилактикалық егулер картасы (063/е нысаны)",
            "Карта профилактических прививок (форма 063/у)",
        ),
    ),
    (
        "documents_incomplete",
        ("Құжаттар толық емес", "Неполный пакет документов"),
    ),
    (
        "unknown_document",
        ("Белгісіз құжат", "Неизвестный документ"),
    ),
    ("invalid_iin", ("ЖСН қате", "Неверный ИИН")),
    (
        "birth_date_mismatch",
        (
            "Туған күні ЖСН-ге сәйкес емес",
            "Дата рождения не совпадает с ИИН",
        ),
    ),
    ("invalid_date", ("Күні қате", "Неверная дата")),
    (
        "child_too_old",
        (
            "Баланың жасы мектепке дейінгі жастан асқан",
            "Ребёнок старше дошкольного возраста",
        ),
    ),
    (
        "child_not_born",
        ("Бала әлі тумаған", "Ребёнок ещё не родился"),
    ),
    (
        "invalid_name",
        ("Аты-жөні қате жазылған", "Неверно указано ФИО"),
    ),
    (
        "invalid_power_of_attorney",
        ("Сенімхат жарамсыз", "Доверенность недействительна"),
    ),
    ("unknown_district", ("Белгісіз аудан", "Неизвестный район")),
    (
        "unsupported_language",
        ("Бұл оқыту тілі жоқ", "Такого языка обучения нет"),
    ),
    (
        "unknown_kindergarten",
        ("Белгісіз балабақша", "Неизвестный детский сад"),
    ),
    (
        "kindergarten_outside_district",
        (
            "Балабақша басқа ауданда",
            "Детский сад находится в другом районе",
        ),
    ),
    (
        "no_preferences",
        ("Балабақша таңдалмаған", "Не выбран детский сад"),
    ),
    (
        "too_many_preferences",
        (
            "Тым көп балабақша таңдалған",
            "Выбрано слишком много детских садов",
        ),
    ),
    (
        "too_many_documents",
        ("Тым көп құжат", "Слишком много документов"),
    ),
    (
        "duplicate_preference",
        ("Балабақша екі рет таңдалған", "Детский сад выбран дважды"),
    ),
    (
        "unknown_category",
        ("Белгісіз жеңілдік санаты", "Неизвестная льготная категория"),
    ),
    (
        "unknown_channel",
        ("Белгісіз өтініш беру тәсілі", "Неизвестный способ подачи"),
    ),
    ("true", ("иә", "да")),
    ("false", ("жоқ", "нет")),
];

/// The words of a code value.
#[must_use]
pub fn value(code: &str, lang: Lang) -> Option<&'static str> {
    VALUES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, both)| pick(*both, lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kezek_core::event::GroundCode;
    use kezek_core::model::{ClaimStatus, Document};

    /// Every code the core can put in a document has words in both languages.
    #[test]
    fn every_code_has_words() {
        let mut codes: Vec<String> = GroundCode::ALL
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect();
        for c in [
            ClaimStatus::None,
            ClaimStatus::Pending,
            ClaimStatus::Verified,
            ClaimStatus::Rejected,
        ] {
            codes.push(c.as_str().to_owned());
        }
        for d in [
            Document::ApplicationForm,
            Document::ApplicantId,
            Document::BenefitProof,
            Document::AddressProof,
            Document::BirthCertificate,
        ] {
            codes.push(d.as_str().to_owned());
        }
        for p in [
            include_str!("../../../policies/kz-2013.toml"),
            include_str!("../../../policies/kz-2020.toml"),
        ] {
            let policy = kezek_core::policy::Policy::from_toml(p).unwrap();
            for t in &policy.tiers {
                codes.push(t.name.clone());
                codes.extend(t.categories.iter().map(|c| c.as_str().to_owned()));
            }
        }
        codes.extend(crate::documents::BRING.map(str::to_owned));
        codes.extend(["kk", "ru", "portal", "service_center", "office"].map(str::to_owned));
        for code in codes {
            for lang in [Lang::Kk, Lang::Ru] {
                assert!(
                    value(&code, lang).is_some(),
                    "no {lang:?} words for `{code}`"
                );
            }
        }
    }
}
