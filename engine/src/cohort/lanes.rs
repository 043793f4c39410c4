//! Twins advanced together: the ODE twins of a world that share a model structure step in
//! lock-step lanes of one Dormand–Prince 5(4) ([`pk_models::batch`]), [`LANES`] at a time.
//!
//! A scalar Dormand–Prince step is one chain of dependent operations, so it costs about the same
//! wall time for one twin as for sixteen side by side; stepping twins in lanes divides the
//! integration time by nearly the lane count. The twin's [`Subject`](pk_models::Subject) stays
//! the record of its doses and state: the batch gathers the members' states and infusion rates,
//! integrates, and hands each state back ([`pk_models::Subject::accept_advance`]), which then
//! applies the events due at that time.
//!
//! - **Who**: twins whose model is PK only and nonlinear (Michaelis–Menten), and twins of a
//!   nonlinear model written as equations that does not read `t` (`EquationLanes`, its outputs
//!   from the compiled output expressions), with up to [`MAX_SLOTS`] state slots, on Dopri5
//!   settings (rtol ≥ 1e-9); grouped by kind, slot count and central slot (or system), sorted by
//!   [`BatchModel::stiffness`] (then index) so that lane mates need similar steps.
//! - **Rounds**: within a tick, a batch integrates from its members' time to the earliest of their
//!   next events (a dose, the end of an infusion) or to the tick, then the members apply their
//!   events and the next round starts; the record times on the way come from the dense output
//!   (at a round's end, from the state before its events: records at dose times are troughs).
//! - **Alone**: a member that has not started, is out of step with its lanes, or whose batch
//!   failed (e.g. too many steps) is advanced by its own solver, so that an error names its twin.
//! - **Accuracy**: every lane meets the tolerance (the step's error is the largest lane's); a
//!   twin's numbers depend on its lane mates, which are fixed by the world's membership, so
//!   results are the same on any thread count.
//! - **Step size**: the controller's proposal carries over from one round to the next unless a
//!   member's state or inputs changed in between (a dose), when the first step is chosen afresh.

use bevy_ecs::prelude::*;
use std::sync::Arc;

use pk_models::batch::{
    BatchDopri5, BatchModel, BatchSettings, CompartmentLanes, CompartmentParams, Lanes,
};
use pk_models::equations::{EquationLanes, EquationModel};
use pk_models::{Model, OdeMethod, SolverSettings};
use twins::course::CourseSubject;
use twins::model_file::{BuiltModel, ModelSpec, OutputRead};

use super::components::{Body, Recorded, Twin};

/// Twins per batch: 16 lanes (two AVX-512 or eight SSE2 registers per state slot).
pub const LANES: usize = 16;
/// Most state slots a batched model may have (e.g. three compartments, a depot and a transit).
pub const MAX_SLOTS: usize = 6;

/// Which lane batch advances a twin, and in which lane; every twin has one from its spawn
/// ([`InBatch::ALONE`] until [`Batches::build`] places it), so placing it moves no entity
/// between tables.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct InBatch {
    /// Index of the batch in [`Batches`]; `u32::MAX` when the twin is advanced alone.
    batch: u32,
    /// The twin's lane in it.
    lane: u8,
}

impl InBatch {
    /// Advanced alone, by its own solver.
    pub const ALONE: Self = Self {
        batch: u32::MAX,
        lane: 0,
    };

    /// The batch and lane, when in one.
    fn place(self) -> Option<(usize, usize)> {
        (self.batch != u32::MAX).then_some((self.batch as usize, usize::from(self.lane)))
    }
}

/// The lane batches of a world.
#[derive(Resource, Debug, Default)]
pub struct Batches {
    batches: Vec<AnyBatch>,
    settings: BatchSettings,
}

/// The equations a batch steps: any compartment model, or a model written as equations.
trait LaneModel<const N: usize>: BatchModel<N, LANES> {
    /// Sets every lane's zero-order inputs (amount/h per slot) for the next round.
    fn set_all_rates(&mut self, rates: &Lanes<N, LANES>);

    /// Appends the outputs of every lane at `time` (h), one `[f64; LANES]` per output.
    fn emit(
        &self,
        reads: &[LaneRead],
        time: f64,
        state: &Lanes<N, LANES>,
        out: &mut Vec<[f64; LANES]>,
    );

    /// Whether lanes without a member this round take a member's state and inputs (a model
    /// written as equations may not be defined at an empty state, e.g. `log(central)`), rather
    /// than zeros.
    const FILL_EMPTY_LANES: bool;
}

impl<const N: usize> LaneModel<N> for CompartmentLanes<N, LANES> {
    fn set_all_rates(&mut self, rates: &Lanes<N, LANES>) {
        CompartmentLanes::set_all_rates(self, rates);
    }

    fn emit(
        &self,
        reads: &[LaneRead],
        _time: f64,
        state: &Lanes<N, LANES>,
        out: &mut Vec<[f64; LANES]>,
    ) {
        emit(reads, state, out);
    }

    const FILL_EMPTY_LANES: bool = false;
}

impl<const N: usize> LaneModel<N> for EquationLanes<N, LANES> {
    fn set_all_rates(&mut self, rates: &Lanes<N, LANES>) {
        EquationLanes::set_all_rates(self, rates);
    }

    /// The model's outputs times each output's scale, as `ModelSpec::outputs_into` computes
    /// them for one twin.
    fn emit(
        &self,
        reads: &[LaneRead],
        time: f64,
        state: &Lanes<N, LANES>,
        out: &mut Vec<[f64; LANES]>,
    ) {
        let start = out.len();
        out.resize(start + reads.len(), [0.0; LANES]);
        let values = &mut out[start..];
        self.outputs(time, state, values);
        for (v, r) in values.iter_mut().zip(reads) {
            for (x, scale) in v.iter_mut().zip(&r.scale) {
                *x *= scale;
            }
        }
    }

    const FILL_EMPTY_LANES: bool = true;
}

/// Up to [`LANES`] twins with `N` state slots.
#[derive(Debug)]
struct Batch<const N: usize, M> {
    /// Their models.
    model: M,
    /// The lanes' states after the last tick (zero in empty lanes).
    state: Lanes<N, LANES>,
    /// The lanes' input rates over the last tick (mg/h).
    rates: Lanes<N, LANES>,
    /// The step the controller proposed at the end of the last tick (h).
    step: Option<f64>,
    /// The next round: the gathered states, then the integrated ones.
    next: Lanes<N, LANES>,
    /// The next round: the gathered input rates (mg/h).
    next_rates: Lanes<N, LANES>,
    /// The next round: which lanes are in (the others' twins advance alone).
    in_lane: [bool; LANES],
    /// The next round: the time the lanes start from (h), once one is in.
    from: Option<f64>,
    /// The next round: where it ends (h), the earliest event of its members or the tick's time.
    target: f64,
    /// The first of the tick's record times not yet taken.
    next_record: usize,
    /// The last round: which lanes were in.
    round_in_lane: [bool; LANES],
    /// The last round: where it ended (h).
    round_target: f64,
    /// The outputs, read from the lanes as from one twin (`OutputRead::of`, the same bits).
    reads: Vec<LaneRead>,
    /// The last round: the lanes' outputs at the record times it took, record by record, output
    /// by output.
    emitted: Vec<[f64; LANES]>,
    /// The last round failed, so its members advance alone.
    failed: bool,
}

/// Compartment lanes of `N` slots.
type CBatch<const N: usize> = Batch<N, CompartmentLanes<N, LANES>>;
/// Equation lanes of `N` states.
type EBatch<const N: usize> = Batch<N, EquationLanes<N, LANES>>;

/// A batch of any supported slot count and kind.
#[derive(Debug)]
enum AnyBatch {
    N1(Box<CBatch<1>>),
    N2(Box<CBatch<2>>),
    N3(Box<CBatch<3>>),
    N4(Box<CBatch<4>>),
    N5(Box<CBatch<5>>),
    N6(Box<CBatch<6>>),
    E1(Box<EBatch<1>>),
    E2(Box<EBatch<2>>),
    E3(Box<EBatch<3>>),
    E4(Box<EBatch<4>>),
    E5(Box<EBatch<5>>),
    E6(Box<EBatch<6>>),
}

/// `$body` with `$b` bound to the batch, whatever its slot count.
macro_rules! each_size {
    ($batch:expr, $b:ident => $body:expr) => {
        match $batch {
            AnyBatch::N1($b) => $body,
            AnyBatch::N2($b) => $body,
            AnyBatch::N3($b) => $body,
            AnyBatch::N4($b) => $body,
            AnyBatch::N5($b) => $body,
            AnyBatch::N6($b) => $body,
            AnyBatch::E1($b) => $body,
            AnyBatch::E2($b) => $body,
            AnyBatch::E3($b) => $body,
            AnyBatch::E4($b) => $body,
            AnyBatch::E5($b) => $body,
            AnyBatch::E6($b) => $body,
        }
    };
}

/// A twin to batch: its entity, index, parameters and output reads.
struct Candidate<const N: usize> {
    entity: Entity,
    index: u32,
    params: CompartmentParams<N>,
    reads: Vec<OutputRead>,
}

impl<const N: usize> Candidate<N> {
    /// Twins of one structure share a batch: the same central slot, outputs read from the same
    /// slots.
    fn same_structure(&self, other: &Self) -> bool {
        self.params.central == other.params.central
            && self.reads.len() == other.reads.len()
            && self
                .reads
                .iter()
                .zip(&other.reads)
                .all(|(a, b)| a.slot == b.slot)
    }
}

/// One output of a batch's lanes: `scale · state[slot] / divisor`, lane by lane.
#[derive(Debug, Clone, Copy)]
struct LaneRead {
    slot: usize,
    scale: [f64; LANES],
    divisor: [f64; LANES],
}

impl Batches {
    /// Whether `settings` are the batched integrator's method (Dopri5).
    fn supports(settings: &SolverSettings) -> bool {
        settings.resolved_method() == OdeMethod::Dopri5
    }

    /// Forms the batches of every eligible twin in `world` and marks them [`InBatch`]. With
    /// unsupported settings, or none eligible, there are no batches and every twin is advanced
    /// alone.
    pub fn build(world: &mut World, settings: &SolverSettings, spec: &ModelSpec) -> Self {
        let mut batches = Self {
            batches: Vec::new(),
            settings: BatchSettings {
                rtol: settings.rtol,
                atol: settings.atol,
                max_steps: settings.max_steps,
                max_step: settings.max_step,
            },
        };
        if !Self::supports(settings) {
            return batches;
        }
        batches.collect::<1>(world, |b| AnyBatch::N1(Box::new(b)));
        batches.collect::<2>(world, |b| AnyBatch::N2(Box::new(b)));
        batches.collect::<3>(world, |b| AnyBatch::N3(Box::new(b)));
        batches.collect::<4>(world, |b| AnyBatch::N4(Box::new(b)));
        batches.collect::<5>(world, |b| AnyBatch::N5(Box::new(b)));
        batches.collect::<6>(world, |b| AnyBatch::N6(Box::new(b)));
        let scales: Vec<f64> = spec.file().outputs.iter().map(|o| o.scale).collect();
        batches.collect_equations::<1>(world, &scales, |b| AnyBatch::E1(Box::new(b)));
        batches.collect_equations::<2>(world, &scales, |b| AnyBatch::E2(Box::new(b)));
        batches.collect_equations::<3>(world, &scales, |b| AnyBatch::E3(Box::new(b)));
        batches.collect_equations::<4>(world, &scales, |b| AnyBatch::E4(Box::new(b)));
        batches.collect_equations::<5>(world, &scales, |b| AnyBatch::E5(Box::new(b)));
        batches.collect_equations::<6>(world, &scales, |b| AnyBatch::E6(Box::new(b)));
        batches
    }

    /// Batches the twins of a model written as equations with `N` states that is not linear
    /// (a linear one is solved exactly) and does not read the time, one system at a time,
    /// sorted by stiffness; `scales` are the outputs' scales.
    fn collect_equations<const N: usize>(
        &mut self,
        world: &mut World,
        scales: &[f64],
        wrap: fn(EBatch<N>) -> AnyBatch,
    ) {
        let mut candidates: Vec<(Entity, u32, EquationModel)> = world
            .query::<(Entity, &Twin, &Body)>()
            .iter(world)
            .filter_map(|(entity, twin, body)| {
                if !body.course.course().is_constant() {
                    return None;
                }
                let model = body.course.model().equations()?;
                // A linear model is solved exactly; one with a linear part (a depot) steps in
                // lanes whole, as a built-in nonlinear model does.
                let eligible =
                    model.n_states() == N && model.linear_system().is_none() && !model.reads_time();
                eligible.then(|| (entity, twin.index, model.clone()))
            })
            .collect();
        candidates.sort_by(|a, b| {
            a.2.stiffness()
                .total_cmp(&b.2.stiffness())
                .then(a.1.cmp(&b.1))
        });
        let same_system = |a: &(Entity, u32, EquationModel), b: &(Entity, u32, EquationModel)| {
            Arc::ptr_eq(a.2.system(), b.2.system())
        };
        for system in candidates.chunk_by(same_system) {
            for group in system.chunks(LANES) {
                let batch = self.batches.len() as u32;
                let mut model = EquationLanes::<N, LANES>::splat(&group[0].2);
                let mut reads: Vec<LaneRead> = scales
                    .iter()
                    .map(|_| LaneRead {
                        slot: 0,
                        scale: [0.0; LANES],
                        divisor: [1.0; LANES],
                    })
                    .collect();
                for (lane, (entity, _, m)) in group.iter().enumerate() {
                    model.set_lane(lane, m);
                    for (read, &scale) in reads.iter_mut().zip(scales) {
                        read.scale[lane] = scale;
                    }
                    if let Some(mut place) = world.get_mut::<InBatch>(*entity) {
                        *place = InBatch {
                            batch,
                            lane: lane as u8,
                        };
                    }
                }
                self.batches.push(wrap(Batch::new(model, reads)));
            }
        }
    }

    /// Batches the eligible twins of `N` slots, one model structure (central slot) at a time.
    fn collect<const N: usize>(&mut self, world: &mut World, wrap: fn(CBatch<N>) -> AnyBatch) {
        let mut candidates: Vec<Candidate<N>> = world
            .query::<(Entity, &Twin, &Body)>()
            .iter(world)
            .filter_map(|(entity, twin, body)| {
                // A twin whose parameters change (its covariates do) is advanced alone, so that
                // it switches model where its course says.
                if !body.course.course().is_constant() {
                    return None;
                }
                let BuiltModel::Pk(model) = body.course.model() else {
                    return None;
                };
                if model.saturable().is_none_or(|mm| mm.vmax <= 0.0) {
                    return None; // linear: solved exactly
                }
                let reads = body.reads.clone()?;
                CompartmentParams::<N>::from_model(model).map(|params| Candidate {
                    entity,
                    index: twin.index,
                    params,
                    reads,
                })
            })
            .collect();
        // One structure per batch, twins of similar stiffness together, ties by index.
        candidates.sort_by(|a, b| {
            a.params
                .central
                .cmp(&b.params.central)
                .then_with(|| {
                    let (sa, sb) = (a.reads.iter(), b.reads.iter());
                    sa.map(|r| r.slot).cmp(sb.map(|r| r.slot))
                })
                .then(
                    CompartmentLanes::<N, LANES>::stiffness(&a.params)
                        .total_cmp(&CompartmentLanes::<N, LANES>::stiffness(&b.params)),
                )
                .then(a.index.cmp(&b.index))
        });
        for structure in candidates.chunk_by(Candidate::same_structure) {
            for group in structure.chunks(LANES) {
                let batch = self.batches.len() as u32;
                let mut model = CompartmentLanes::<N, LANES>::splat(&group[0].params);
                // Empty lanes read 0/1: no NaN in them.
                let mut reads: Vec<LaneRead> = group[0]
                    .reads
                    .iter()
                    .map(|r| LaneRead {
                        slot: r.slot,
                        scale: [0.0; LANES],
                        divisor: [1.0; LANES],
                    })
                    .collect();
                for (lane, c) in group.iter().enumerate() {
                    model.set_lane(lane, &c.params);
                    for (read, r) in reads.iter_mut().zip(&c.reads) {
                        read.scale[lane] = r.scale;
                        read.divisor[lane] = r.divisor;
                    }
                    if let Some(mut place) = world.get_mut::<InBatch>(c.entity) {
                        *place = InBatch {
                            batch,
                            lane: lane as u8,
                        };
                    }
                }
                self.batches.push(wrap(Batch::new(model, reads)));
            }
        }
    }

    /// Advances every twin to `now` (h), taking the record times `records` (those of this
    /// tick, sorted) on the way into its [`Recorded`] values: the members of batches in their
    /// lanes, the others (and members that cannot go in their lane) alone.
    ///
    /// Lanes go in rounds: each round integrates a batch to the earliest event (a dose, the end
    /// of an infusion) of its members, or to `now`, with the record times on the way from the
    /// dense output; each member's subject then takes its state and applies its events. A round
    /// is one pass over the twins, in the world's order.
    ///
    /// # Errors
    /// The first error, with the index of the twin it concerns.
    pub fn advance(
        &mut self,
        now: f64,
        records: &[f64],
        spec: &ModelSpec,
        twins: &mut Query<(&Twin, &mut Body, &InBatch, &mut Recorded)>,
    ) -> Result<(), (u32, twins::Error)> {
        let mut scratch = Vec::new();
        for batch in &mut self.batches {
            each_size!(batch, b => b.begin(now));
        }
        for (twin, mut body, place, mut recorded) in twins.iter_mut() {
            let gathered = match (place.place(), body.course.constant_subject_mut()) {
                (Some((batch, lane)), Some(subject)) => each_size!(&mut self.batches[batch],
                    b => b.gather(lane, subject, now))
                .map_err(|e| (twin.index, e.into()))?,
                _ => false,
            };
            if !gathered {
                let (subject, out) = Outputs::of(&mut body, &mut recorded, spec, &mut scratch);
                advance_alone(subject, spec, now, records, out).map_err(|e| (twin.index, e))?;
            }
        }
        let settings = self.settings;
        loop {
            let mut any = false;
            for batch in &mut self.batches {
                any |= each_size!(batch, b => b.integrate(now, records, &settings));
            }
            if !any {
                return Ok(());
            }
            for (twin, mut body, place, mut recorded) in twins.iter_mut() {
                let Some((batch, lane)) = place.place() else {
                    continue;
                };
                let (subject, out) = Outputs::of(&mut body, &mut recorded, spec, &mut scratch);
                each_size!(&mut self.batches[batch],
                    b => b.scatter_and_gather(lane, subject, spec, now, records, out))
                .map_err(|e| (twin.index, e))?;
            }
        }
    }
}

/// Where a twin's recorded outputs go.
struct Outputs<'a> {
    spec: &'a ModelSpec,
    /// The outputs as reads of single slots, when they are.
    reads: Option<&'a [OutputRead]>,
    recorded: &'a mut Vec<f64>,
    scratch: &'a mut Vec<f64>,
}

impl<'a> Outputs<'a> {
    /// A twin's subject, and where its outputs go.
    fn of(
        body: &'a mut Body,
        recorded: &'a mut Recorded,
        spec: &'a ModelSpec,
        scratch: &'a mut Vec<f64>,
    ) -> (&'a mut CourseSubject, Self) {
        let Body { course, reads } = body;
        let out = Self {
            spec,
            reads: reads.as_deref(),
            recorded: &mut recorded.0,
            scratch,
        };
        (course, out)
    }

    /// Records the outputs of `state`, read with `model` (the one in force).
    fn take(&mut self, model: &BuiltModel, time: f64, state: &[f64]) {
        match self.reads {
            Some(reads) => self.recorded.extend(reads.iter().map(|r| r.of(state))),
            None => {
                self.spec.outputs_into(model, time, state, self.scratch);
                self.recorded.extend_from_slice(self.scratch);
            }
        }
    }
}

/// Appends the outputs of every lane of `state` (one `[f64; LANES]` per output).
fn emit<const N: usize>(reads: &[LaneRead], state: &Lanes<N, LANES>, out: &mut Vec<[f64; LANES]>) {
    for r in reads {
        let y = &state[r.slot];
        // scale · A / divisor, as `OutputRead::of` computes it for one twin.
        out.push(std::array::from_fn(|l| r.scale[l] * (y[l] / r.divisor[l])));
    }
}

/// A twin's pk_models subject, as a lane member's course holds it.
type TwinSubject = pk_models::Subject<pk_models::Propagator<BuiltModel>>;

/// Advances one twin alone to `now`, taking the record times after its own time on the way; a
/// record time at a dose's time sees the state before the dose. Its parameters switch where its
/// covariate course says ([`CourseSubject`]).
fn advance_alone(
    subject: &mut CourseSubject,
    spec: &ModelSpec,
    now: f64,
    records: &[f64],
    mut out: Outputs<'_>,
) -> Result<(), twins::Error> {
    let time = subject.time();
    for &r in records.iter().filter(|&&r| r > time) {
        subject.advance_until(spec, r)?;
        out.take(subject.model(), r, subject.state());
    }
    subject.advance_to(spec, now)
}

impl<const N: usize, M: LaneModel<N>> Batch<N, M> {
    /// A batch of `model`'s lanes, none in yet, with the outputs `reads`.
    fn new(model: M, reads: Vec<LaneRead>) -> Self {
        let zero = [[0.0; LANES]; N];
        Self {
            model,
            state: zero,
            rates: zero,
            step: None,
            next: zero,
            next_rates: zero,
            in_lane: [false; LANES],
            from: None,
            target: 0.0,
            next_record: 0,
            round_in_lane: [false; LANES],
            round_target: 0.0,
            reads,
            emitted: Vec::new(),
            failed: false,
        }
    }

    /// Starts a tick: no lane in yet.
    fn begin(&mut self, now: f64) {
        self.in_lane = [false; LANES];
        self.from = None;
        self.target = now;
        self.next_record = 0;
    }

    /// Puts a member in its lane for the next round, if it can go: it has started, it is where
    /// the lanes start, and it has not reached `now`. Doses due at its own time (given this tick)
    /// go in first. Returns whether it went in.
    fn gather(
        &mut self,
        lane: usize,
        subject: &mut TwinSubject,
        now: f64,
    ) -> Result<bool, pk_models::Error> {
        let time = subject.time();
        let fits = time.is_finite() && time < now && self.from.is_none_or(|from| from == time);
        if !fits {
            return Ok(false);
        }
        if subject.next_event_time() <= time {
            subject.advance_to(time)?;
        }
        self.from = Some(time);
        self.in_lane[lane] = true;
        self.target = self.target.min(subject.next_event_time());
        let (state, rates) = (subject.state(), subject.input_rates());
        for ((y, r), (&x, &rate)) in self
            .next
            .iter_mut()
            .zip(&mut self.next_rates)
            .zip(state.iter().zip(rates))
        {
            y[lane] = x;
            r[lane] = rate;
        }
        Ok(true)
    }

    /// Integrates the lanes of this round from their start to the round's target (the members'
    /// earliest event, or `now`), keeping the states at the record times in between, and at
    /// the target itself before its events. Returns whether any lane was in.
    ///
    /// A failure (e.g. too many steps for the stiffest lane) sends every member of the round to
    /// advance alone in [`Batch::scatter_and_gather`], so that an error names its twin.
    fn integrate(&mut self, now: f64, records: &[f64], settings: &BatchSettings) -> bool {
        let Some(from) = self.from else {
            self.step = None;
            return false;
        };
        let target = self.target.min(now);
        // Empty lanes hold nothing and take no inputs (or, for equations, a member's).
        let donor = self.in_lane.iter().position(|&i| i).unwrap_or(0);
        for lane in (0..LANES).filter(|&l| !self.in_lane[l]) {
            for (y, r) in self.next.iter_mut().zip(&mut self.next_rates) {
                (y[lane], r[lane]) = if M::FILL_EMPTY_LANES {
                    (y[donor], r[donor])
                } else {
                    (0.0, 0.0)
                };
            }
        }
        // A dose or a change of infusion since the last round: choose the first step afresh.
        let unchanged = self.next == self.state && self.next_rates == self.rates;
        let first_step = if unchanged { self.step } else { None };
        self.model.set_all_rates(&self.next_rates);
        let first = self.next_record + records[self.next_record..].partition_point(|&r| r <= from);
        let inside = records[first..].partition_point(|&r| r < target);
        self.emitted.clear();
        let (emitted, reads, model) = (&mut self.emitted, &self.reads, &self.model);
        let times = &records[first..first + inside];
        let result = BatchDopri5::new(*settings).advance_from_step(
            model,
            from,
            target,
            &mut self.next,
            times,
            |j, y| model.emit(reads, times[j], y, emitted),
            first_step,
        );
        let mut end = first + inside;
        match result {
            Ok(step) => {
                self.step = Some(step);
                self.failed = false;
                if records.get(end) == Some(&target) {
                    self.model
                        .emit(&self.reads, target, &self.next, &mut self.emitted);
                    end += 1;
                }
            }
            Err(_) => {
                self.step = None;
                self.failed = true;
            }
        }
        self.round_in_lane = self.in_lane;
        self.in_lane = [false; LANES];
        self.from = None;
        self.round_target = target;
        self.target = now;
        self.state = self.next;
        self.rates = self.next_rates;
        self.next_record = end;
        true
    }

    /// Hands a member of the last round its recorded outputs and its state at the round's target
    /// (its subject then applies the events due then), or advances it alone if the round
    /// failed; then puts it in its lane for the next round if it has not reached `now`.
    fn scatter_and_gather(
        &mut self,
        lane: usize,
        course: &mut CourseSubject,
        spec: &ModelSpec,
        now: f64,
        records: &[f64],
        out: Outputs<'_>,
    ) -> Result<(), twins::Error> {
        if !self.round_in_lane[lane] {
            return Ok(());
        }
        if self.failed {
            return advance_alone(course, spec, now, records, out);
        }
        let Some(subject) = course.constant_subject_mut() else {
            // Not a lane twin's course (it cannot happen: lanes take constant courses only).
            return advance_alone(course, spec, now, records, out);
        };
        out.recorded
            .extend(self.emitted.iter().map(|values| values[lane]));
        let mut one = [0.0; N];
        for (x, slot) in one.iter_mut().zip(&self.state) {
            *x = slot[lane];
        }
        subject.accept_advance(self.round_target, &one)?;
        if subject.time() < now && !self.gather(lane, subject, now)? {
            // Not with the others (it cannot happen as things are, but alone is always right).
            advance_alone(course, spec, now, records, out)?;
        }
        Ok(())
    }
}
