//! The driver: twins with their boluses, run `L` at a time through [`BatchDopri5`].
//!
//! Event order at one time, as in [`crate::simulate`]: the boluses due at a time are given before
//! the outputs at that time are reported. When lanes' dose times differ, the batch integrates to
//! the earliest next dose of any lane, gives the doses due then to their lanes, and goes on.

use super::{BatchDopri5, BatchModel, BatchSettings, BatchStats, Lanes};
use crate::Error;

/// An IV bolus: `amount` (mg) added to state slot `compartment` (0-based; NONMEM CMT − 1) at `time` (h).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bolus {
    /// Time of the dose (h).
    pub time: f64,
    /// State slot that receives it (0-based).
    pub compartment: usize,
    /// Amount (mg).
    pub amount: f64,
}

impl Bolus {
    /// `amount` (mg) into slot `compartment` at `time` (h).
    pub fn new(time: f64, compartment: usize, amount: f64) -> Self {
        Self {
            time,
            compartment,
            amount,
        }
    }
}

/// One twin: its parameters and its boluses, in time order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Twin<'a, P> {
    /// The model's parameters for this twin.
    pub params: P,
    /// Doses in time order.
    pub doses: &'a [Bolus],
}

impl<'a, P> Twin<'a, P> {
    /// A twin with these parameters and doses.
    pub fn new(params: P, doses: &'a [Bolus]) -> Self {
        Self { params, doses }
    }
}

/// The twins' indices sorted by [`BatchModel::stiffness`], so that neighbours share step sizes well.
pub fn stiffness_order<M, const N: usize, const L: usize>(
    twins: &[Twin<'_, M::Params>],
) -> Vec<usize>
where
    M: BatchModel<N, L>,
{
    let mut order: Vec<usize> = (0..twins.len()).collect();
    order.sort_by(|&a, &b| {
        M::stiffness(&twins[a].params).total_cmp(&M::stiffness(&twins[b].params))
    });
    order
}

/// Checks that times are in order (dose times and output times alike).
fn check_order(times: impl Iterator<Item = f64>) -> Result<(), Error> {
    let mut previous = f64::NEG_INFINITY;
    for (index, time) in times.enumerate() {
        // NaN fails too.
        if time.partial_cmp(&previous).is_none_or(|o| o.is_lt()) {
            return Err(Error::RecordsOutOfOrder {
                index,
                time,
                previous,
            });
        }
        previous = time;
    }
    Ok(())
}

/// Checks a twin's doses: finite amounts into existing slots, in time order.
fn check_doses<const N: usize>(doses: &[Bolus]) -> Result<(), Error> {
    check_order(doses.iter().map(|d| d.time))?;
    for d in doses {
        if d.compartment >= N {
            return Err(Error::UnknownCompartment {
                time: d.time,
                compartment: d.compartment + 1,
                n_states: N,
            });
        }
        if !d.amount.is_finite() {
            return Err(Error::InvalidDose {
                time: d.time,
                field: "AMT",
                value: d.amount,
                expected: "a finite amount",
            });
        }
    }
    Ok(())
}

/// Runs up to `L` twins in lock-step from empty compartments, calling `emit(j, &observed)` with
/// every lane's observed value ([`BatchModel::observe`]) at each output time `output_times[j]`.
///
/// Integration starts at the first output or dose time, whichever is earlier, and ends at the last
/// output time. Lanes `twins.len()..L` repeat the last twin; their values are to be ignored.
///
/// # Errors
/// [`Error::InvalidParameter`] for no twins or more than `L`; [`Error::RecordsOutOfOrder`],
/// [`Error::UnknownCompartment`] or [`Error::InvalidDose`] for bad times or doses;
/// [`Error::Integration`] when the integrator gives up.
pub fn simulate_batch<M, const N: usize, const L: usize>(
    twins: &[Twin<'_, M::Params>],
    output_times: &[f64],
    settings: &BatchSettings,
    mut emit: impl FnMut(usize, &[f64; L]),
) -> Result<BatchStats, Error>
where
    M: BatchModel<N, L>,
{
    let (Some(first), true) = (twins.first(), twins.len() <= L) else {
        return Err(Error::InvalidParameter {
            name: "number of twins in a batch",
            value: twins.len() as f64,
            expected: "from 1 to the number of lanes L",
        });
    };
    check_order(output_times.iter().copied())?;
    let Some(&end) = output_times.last() else {
        return Ok(BatchStats::default());
    };
    let mut model = M::splat(&first.params);
    let mut doses: [&[Bolus]; L] = [first.doses; L];
    for (lane, twin) in twins.iter().enumerate() {
        check_doses::<N>(twin.doses)?;
        model.set_lane(lane, &twin.params);
        doses[lane] = twin.doses;
    }
    if let Some(last) = twins.last() {
        for (lane, lane_doses) in doses.iter_mut().enumerate().skip(twins.len()) {
            model.set_lane(lane, &last.params);
            *lane_doses = last.doses;
        }
    }

    let mut integrator = BatchDopri5::new(*settings);
    let mut state: Lanes<N, L> = [[0.0; L]; N];
    let mut next_dose = [0_usize; L];
    let mut observed = [0.0; L];
    let mut next_output = 0;
    let mut t = doses
        .iter()
        .filter_map(|d| d.first().map(|d| d.time))
        .fold(output_times[0], f64::min);
    loop {
        for l in 0..L {
            while let Some(d) = doses[l].get(next_dose[l]).filter(|d| d.time <= t) {
                state[d.compartment][l] += d.amount;
                next_dose[l] += 1;
            }
        }
        while next_output < output_times.len() && output_times[next_output] <= t {
            model.observe(output_times[next_output], &state, &mut observed);
            emit(next_output, &observed);
            next_output += 1;
        }
        if next_output == output_times.len() {
            return Ok(integrator.stats());
        }
        let next_event = (0..L)
            .filter_map(|l| doses[l].get(next_dose[l]).map(|d| d.time))
            .fold(end, f64::min);
        let inside = output_times[next_output..].partition_point(|&time| time < next_event);
        let first_output = next_output;
        integrator.advance(
            &model,
            t,
            next_event,
            &mut state,
            &output_times[first_output..first_output + inside],
            |j, y| {
                let time = output_times[first_output + j];
                model.observe(time, y, &mut observed);
                emit(first_output + j, &observed);
            },
        )?;
        next_output += inside;
        t = next_event;
    }
}

/// Runs a cohort `L` twins at a time, in [`stiffness_order`], writing the observed value of twin
/// `i` at `output_times[j]` to `out[j * twins.len() + i]` (time-major, in the cohort's order).
///
/// Allocates the sort order and one batch of `L` twins; nothing per step or per batch.
///
/// # Errors
/// [`Error::InvalidParameter`] when `out` is not `output_times.len() × twins.len()` long, and the
/// errors of [`simulate_batch`].
pub fn simulate_cohort<M, const N: usize, const L: usize>(
    twins: &[Twin<'_, M::Params>],
    output_times: &[f64],
    settings: &BatchSettings,
    out: &mut [f64],
) -> Result<BatchStats, Error>
where
    M: BatchModel<N, L>,
{
    let n_twins = twins.len();
    if out.len() != n_twins * output_times.len() {
        return Err(Error::InvalidParameter {
            name: "length of the output buffer",
            value: out.len() as f64,
            expected: "the number of output times × the number of twins",
        });
    }
    let order = stiffness_order::<M, N, L>(twins);
    let mut batch = Vec::with_capacity(L);
    let mut stats = BatchStats::default();
    for lanes in order.chunks(L) {
        batch.clear();
        batch.extend(lanes.iter().map(|&i| twins[i].clone()));
        stats += simulate_batch::<M, N, L>(&batch, output_times, settings, |j, observed| {
            let row = &mut out[j * n_twins..(j + 1) * n_twins];
            for (&twin, &value) in lanes.iter().zip(observed) {
                row[twin] = value;
            }
        })?;
    }
    Ok(stats)
}
