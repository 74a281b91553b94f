//! The messages of problem documents in Kazakh and Russian, by code: what a portal shows a
//! family or a clerk reads when a request is refused. The `code` stays the contract; the
//! words follow `Accept-Language` (the HTTP layer swaps them in). A code without words here
//! keeps its English message.

use crate::words::{pick, Both, Lang};

/// The problems' own codes (the `code` member).
const PROBLEMS: &[(&str, Both)] = &[
    (
        "unauthorized",
        (
            "Жарамды кілт (bearer token) қажет",
            "Нужен действующий ключ (bearer token)",
        ),
    ),
    (
        "forbidden",
        (
            "Бұл кілттің бұған құқығы жоқ",
            "У этого ключа нет на это прав",
        ),
    ),
    ("not_found", ("Табылмады", "Не найдено")),
    (
        "malformed_request",
        (
            "Сұраудың пішімі дұрыс емес: errors тізіміндегі өрісті қараңыз",
            "Запрос не в том виде: см. поле в списке errors",
        ),
    ),
    (
        "invalid_request",
        (
            "Сұрау errors тізіміндегі ережелерді бұзады",
            "Запрос нарушает правила, перечисленные в errors",
        ),
    ),
    (
        "refused",
        (
            "Өтініш errors тізіміндегі барлық негіз бойынша қабылданбады",
            "В приёме заявления отказано по всем основаниям из списка errors",
        ),
    ),
    (
        "active_application_exists",
        (
            "Баланың белсенді өтініші бар",
            "У ребёнка уже есть действующее заявление",
        ),
    ),
    (
        "invalid_idempotency_key",
        (
            "Idempotency-Key 1–255 көрінетін ASCII таңбадан тұруы керек",
            "Idempotency-Key должен состоять из 1–255 видимых символов ASCII",
        ),
    ),
    (
        "idempotency_key_reused",
        (
            "Бұл Idempotency-Key басқа сұрауға пайдаланылған",
            "Этот Idempotency-Key уже использован для другого запроса",
        ),
    ),
    (
        "body_too_large",
        (
            "Сұраудың денесі 64 КБ-тан аспауы керек",
            "Тело запроса не должно превышать 64 КБ",
        ),
    ),
    (
        "unsupported_media_type",
        (
            "Дене Content-Type: application/json ретінде жіберілуі керек",
            "Тело нужно отправлять как Content-Type: application/json",
        ),
    ),
    (
        "body_timeout",
        (
            "Сұраудың денесі уақытында келмеді",
            "Тело запроса не пришло вовремя",
        ),
    ),
    (
        "trailing_bytes",
        (
            "JSON-нан кейін артық деректер бар",
            "После JSON есть лишние данные",
        ),
    ),
    (
        "method_not_allowed",
        (
            "Бұл әдіс бұл мекенжайда жоқ",
            "Этот метод не поддерживается по этому адресу",
        ),
    ),
    (
        "unavailable",
        (
            "Қызмет қазір қолжетімсіз; кейінірек қайталаңыз",
            "Сервис сейчас недоступен; повторите позже",
        ),
    ),
    (
        "not_leader",
        (
            "Бұл түйін жазбайды, ал жетекші түйін қазір қолжетімсіз: сұрауды сәлден соң сол Idempotency-Key-пен қайталаңыз",
            "Этот узел не записывает, а ведущий узел сейчас недоступен: повторите запрос чуть позже с тем же Idempotency-Key",
        ),
    ),
    (
        "behind",
        (
            "Бұл түйін журналды сұралған min_seq нөміріне дейін әлі қолданбады: сәлден соң қайталаңыз",
            "Этот узел ещё не применил журнал до запрошенного min_seq: повторите чуть позже",
        ),
    ),
    (
        "already_extended",
        (
            "Мерзім бір рет қана ұзартылады",
            "Срок продлевается только один раз",
        ),
    ),
    (
        "application_id_taken",
        (
            "Бұл өтініш нөмірі бос емес",
            "Этот номер заявления уже занят",
        ),
    ),
    (
        "application_not_active",
        ("Өтініш белсенді емес", "Заявление не действует"),
    ),
    (
        "application_not_queued",
        ("Өтініш кезекте емес", "Заявление не в очереди"),
    ),
    (
        "application_table_full",
        ("Өтініштер кестесі толы", "Таблица заявлений заполнена"),
    ),
    (
        "capacity_below_occupied",
        (
            "Орын саны бос емес орындардан аз болмауы керек",
            "Мест не может быть меньше занятых",
        ),
    ),
    (
        "group_has_referrals",
        (
            "Топқа берілген жолдамалар бар: жасы мен тілі өзгермейді",
            "В группу выданы направления: возраст и язык не меняются",
        ),
    ),
    (
        "group_occupied",
        (
            "Топта балалар бар: оны жоюға болмайды",
            "В группе есть дети: её нельзя удалить",
        ),
    ),
    (
        "kindergarten_district_fixed",
        (
            "Балабақшаның ауданы өзгермейді",
            "Район детского сада не меняется",
        ),
    ),
    (
        "no_priority_claim",
        (
            "Өтініште жеңілдік мәлімделмеген",
            "В заявлении не заявлена льгота",
        ),
    ),
    (
        "referral_expired",
        ("Жолдаманың мерзімі өтті", "Срок направления истёк"),
    ),
    (
        "referral_not_confirmed",
        ("Жолдама әлі расталмаған", "Направление ещё не подтверждено"),
    ),
    (
        "referral_not_open",
        ("Жолдама енді жарамсыз", "Направление уже не действует"),
    ),
    (
        "round_id_taken",
        (
            "Бұл бөлу нөмірі бос емес",
            "Этот номер распределения уже занят",
        ),
    ),
    (
        "policy_in_force",
        ("Бұл ереже күшінде", "Эти правила уже действуют"),
    ),
    (
        "policy_cannot_follow",
        (
            "Жаңа ереже кезекті өзгертер еді",
            "Новые правила изменили бы очередь",
        ),
    ),
];

/// The codes of a field at fault (`errors[].code`) that are not grounds of refusal.
const FIELDS: &[(&str, Both)] = &[
    ("required", ("Міндетті өріс", "Обязательное поле")),
    ("invalid_id", ("Нөмір дұрыс емес", "Неверный идентификатор")),
    ("invalid_json", ("JSON дұрыс емес", "Неверный JSON")),
    ("invalid_field", ("Өріс дұрыс емес", "Неверное поле")),
    (
        "invalid_query",
        ("Сұрау параметрі дұрыс емес", "Неверный параметр запроса"),
    ),
    ("invalid_address", ("Мекенжай дұрыс емес", "Неверный адрес")),
    (
        "invalid_age",
        (
            "Жасы 0-ден 18-ге дейін болуы керек",
            "Возраст должен быть от 0 до 18",
        ),
    ),
    (
        "invalid_capacity",
        ("Орын саны тым көп", "Слишком много мест"),
    ),
    (
        "duplicate_group",
        ("Топ екі рет көрсетілген", "Группа указана дважды"),
    ),
    ("too_many_groups", ("Топтар тым көп", "Слишком много групп")),
    (
        "too_many_vacancies",
        ("Бос орындар тым көп", "Слишком много вакантных мест"),
    ),
    (
        "invalid_seats",
        ("Орын саны дұрыс емес", "Неверное число мест"),
    ),
    (
        "invalid_academic_year",
        ("Оқу жылы дұрыс емес", "Неверный учебный год"),
    ),
    (
        "invalid_extension",
        ("Ұзарту мерзімі дұрыс емес", "Неверный срок продления"),
    ),
    (
        "invalid_reason",
        (
            "Негізі көрсетілмеген немесе дұрыс емес",
            "Основание не указано или неверно",
        ),
    ),
    (
        "invalid_decision",
        (
            "Шешім verified немесе rejected болуы керек",
            "Решение должно быть verified или rejected",
        ),
    ),
    ("invalid_status", ("Мәртебе дұрыс емес", "Неверный статус")),
    (
        "invalid_after",
        ("after параметрі дұрыс емес", "Неверный параметр after"),
    ),
    (
        "invalid_limit",
        ("limit параметрі дұрыс емес", "Неверный параметр limit"),
    ),
    (
        "invalid_lang",
        ("Тіл kk немесе ru болуы керек", "Язык должен быть kk или ru"),
    ),
    (
        "invalid_digest",
        (
            "Хэш SHA-256-ның 64 он алтылық цифры болуы керек",
            "Хэш должен состоять из 64 шестнадцатеричных цифр SHA-256",
        ),
    ),
    (
        "invalid_policy",
        ("Ереже файлы дұрыс емес", "Неверный файл правил"),
    ),
    (
        "round_id_too_long",
        (
            "Бөлу нөмірі тым ұзын",
            "Номер распределения слишком длинный",
        ),
    ),
];

/// The words of a problem's `code`.
#[must_use]
pub fn problem(code: &str, lang: Lang) -> Option<&'static str> {
    PROBLEMS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, both)| pick(*both, lang))
}

/// The words of a field error's `code`: a ground of refusal as the documents word it, or a
/// rule of a field.
#[must_use]
pub fn field(code: &str, lang: Lang) -> Option<&'static str> {
    FIELDS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, both)| pick(*both, lang))
        .or_else(|| crate::words::value(code, lang))
}

/// The language a request's `Accept-Language` prefers among Kazakh and Russian (`None`: it
/// prefers another, or says nothing — the messages stay in English).
#[must_use]
pub fn preferred(accept_language: &str) -> Option<Lang> {
    let mut best: Option<(f32, Option<Lang>)> = None;
    for part in accept_language.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let lang = match primary {
            "kk" | "kz" => Some(Lang::Kk),
            "ru" => Some(Lang::Ru),
            "*" | "" => continue,
            _ => None,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.and_then(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_language_is_the_highest_quality_one() {
        assert_eq!(preferred("ru-RU,ru;q=0.9,en;q=0.8"), Some(Lang::Ru));
        assert_eq!(preferred("kk"), Some(Lang::Kk));
        assert_eq!(preferred("en, kk;q=0.5"), None);
        assert_eq!(preferred("en;q=0.4, kk-KZ;q=0.5"), Some(Lang::Kk));
        assert_eq!(preferred("*, ru;q=0"), None);
        assert_eq!(preferred(""), None);
        assert_eq!(preferred(";;;,q=,"), None);
    }

    /// Every code a refusal or an error can carry has words in both languages.
    #[test]
    fn every_code_has_words() {
        use kezek_core::command as c;
        let mut field_codes: Vec<&str> = kezek_core::event::GroundCode::ALL
            .iter()
            .map(|g| g.as_str())
            .collect();
        for codes in [
            c::claim::Code::ALL
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>(),
            c::district::Code::ALL.iter().map(|x| x.as_str()).collect(),
            c::import::Code::ALL.iter().map(|x| x.as_str()).collect(),
            c::kindergarten::Code::ALL
                .iter()
                .map(|x| x.as_str())
                .collect(),
            c::policy::Code::ALL.iter().map(|x| x.as_str()).collect(),
            c::preferences::Code::ALL
                .iter()
                .map(|x| x.as_str())
                .collect(),
            c::referral::Code::ALL.iter().map(|x| x.as_str()).collect(),
            c::register::Code::ALL.iter().map(|x| x.as_str()).collect(),
            c::round::Code::ALL.iter().map(|x| x.as_str()).collect(),
            c::vacancies::Code::ALL.iter().map(|x| x.as_str()).collect(),
            c::withdraw::Code::ALL.iter().map(|x| x.as_str()).collect(),
        ] {
            field_codes.extend(codes);
        }
        // The problems the service itself answers with when it cannot answer now.
        for code in ["unavailable", "not_leader", "behind"] {
            for lang in [Lang::Kk, Lang::Ru] {
                assert!(
                    problem(code, lang).is_some(),
                    "no {lang:?} words for `{code}`"
                );
            }
        }
        for code in field_codes {
            for lang in [Lang::Kk, Lang::Ru] {
                assert!(
                    field(code, lang).is_some() || problem(code, lang).is_some(),
                    "no {lang:?} words for `{code}`"
                );
            }
        }
    }
}
