//! The proof files attached to applications: what each is and whose, in the order attached.
//! Their bytes are not here; the store keeps them beside the journal.

use super::State;
use crate::event::ProofFile;
use crate::model::AppIx;
use rustc_hash::FxHashMap;

/// Proof files by id and by application.
#[derive(Debug, Clone, Default)]
pub(crate) struct Files {
    /// Every file, with its application, in the order attached.
    all: Vec<(AppIx, ProofFile)>,
    /// File id → index into `all`.
    by_id: FxHashMap<Box<str>, usize>,
    /// Each application's files (indexes into `all`), in the order attached.
    by_application: FxHashMap<AppIx, Vec<usize>>,
}

impl Files {
    /// Keeps `file` of application `a`.
    pub(crate) fn add(&mut self, a: AppIx, file: ProofFile) {
        let i = self.all.len();
        self.by_id.insert(file.file_id.as_str().into(), i);
        self.by_application.entry(a).or_default().push(i);
        self.all.push((a, file));
    }

    /// Every file with its application, in order.
    pub(crate) fn all(&self) -> &[(AppIx, ProofFile)] {
        &self.all
    }
}

impl State {
    /// The proof file `id` and the application it is attached to.
    #[must_use]
    pub fn file(&self, id: &str) -> Option<(AppIx, &ProofFile)> {
        let (a, f) = self.files.all.get(*self.files.by_id.get(id)?)?;
        Some((*a, f))
    }

    /// Application `a`'s proof files, in the order attached.
    pub fn files_of(&self, a: AppIx) -> impl Iterator<Item = &ProofFile> {
        self.files
            .by_application
            .get(&a)
            .into_iter()
            .flatten()
            .filter_map(|i| self.files.all.get(*i).map(|(_, f)| f))
    }

    /// Keeps proof file `file` of application `a`.
    pub(crate) fn keep_file(&mut self, a: AppIx, file: ProofFile) {
        self.files.add(a, file);
    }

    /// Every proof file with its application, in the order attached.
    pub fn files(&self) -> impl Iterator<Item = (AppIx, &ProofFile)> {
        self.files.all().iter().map(|(a, f)| (*a, f))
    }
}
