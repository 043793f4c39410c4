//! k-fold cross-validation: RMSE of log predictions and coverage of the 95% interval.

use nalgebra::{DMatrix, DVector};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::blr::{Posterior, Prior, StudentT};
use super::model::{Design, INTERVAL_LEVEL};
use crate::error::{Error, Result};
use crate::random::stream_from_seed;

/// Cross-validation summary, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CvSummary {
    /// Number of folds.
    pub folds: usize,
    /// Root mean squared error of the predictive mean, log scale.
    pub rmse: f64,
    /// Fraction of held-out log targets inside their 95% predictive interval.
    pub coverage95: f64,
}

/// Fold of each row: rows are shuffled by a generator seeded from `seed`, then dealt
/// round-robin, so folds differ in size by at most one and depend only on (n, k, seed).
pub fn fold_assignment(n: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut stream_from_seed(seed));
    let mut fold = vec![0; n];
    for (position, &row) in order.iter().enumerate() {
        fold[row] = position % folds;
    }
    fold
}

/// One held-out row of cross-validation: its observed log target and the predictive
/// distribution of the model fitted without its fold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeldOut {
    /// Row of the training CSV (from 0, header not counted).
    pub row: usize,
    /// Fold the row was held out in.
    pub fold: usize,
    /// Observed log(target).
    pub observed: f64,
    /// Predictive distribution of log(target) from the other folds.
    pub prediction: StudentT,
}

/// Fits on all folds but one and predicts the held-out fold, for every fold; rows in order.
pub(crate) fn held_out(
    design: &Design,
    prior: &Prior,
    folds: usize,
    seed: u64,
) -> Result<Vec<HeldOut>> {
    let n = design.y.len();
    if folds < 2 || folds > n {
        return Err(Error::NotEnoughData {
            what: format!("{folds}-fold cross-validation of {n} rows"),
        });
    }
    let assignment = fold_assignment(n, folds, seed);
    let p = design.x.ncols();
    let mut out = Vec::with_capacity(n);
    for k in 0..folds {
        let train: Vec<usize> = (0..n).filter(|&i| assignment[i] != k).collect();
        let x = DMatrix::from_fn(train.len(), p, |i, j| design.x[(train[i], j)]);
        let y = DVector::from_fn(train.len(), |i, _| design.y[train[i]]);
        let posterior = Posterior::fit(&x, &y, prior)?;
        for i in (0..n).filter(|&i| assignment[i] == k) {
            let row: Vec<f64> = design.x.row(i).iter().copied().collect();
            out.push(HeldOut {
                row: i,
                fold: k,
                observed: design.y[i],
                prediction: posterior.predictive(&row),
            });
        }
    }
    out.sort_by_key(|h| h.row);
    Ok(out)
}

/// The summary of held-out predictions: RMSE of the predictive mean and coverage of the
/// 95% interval.
pub(crate) fn summarise(held_out: &[HeldOut], folds: usize) -> CvSummary {
    let n = held_out.len().max(1) as f64;
    let mut squared = 0.0;
    let mut covered = 0usize;
    for h in held_out {
        let (lower, upper) = h.prediction.interval(INTERVAL_LEVEL);
        squared += (h.observed - h.prediction.location).powi(2);
        covered += usize::from(lower <= h.observed && h.observed <= upper);
    }
    CvSummary {
        folds,
        rmse: (squared / n).sqrt(),
        coverage95: covered as f64 / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_balanced_and_deterministic() {
        let a = fold_assignment(103, 5, 9);
        assert_eq!(a, fold_assignment(103, 5, 9));
        assert_ne!(a, fold_assignment(103, 5, 10));
        let mut sizes = [0usize; 5];
        for f in &a {
            sizes[*f] += 1;
        }
        assert!(sizes.iter().all(|&s| s == 20 || s == 21), "{sizes:?}");
    }
}
