/** Pinned messages per channel; one more is refused with 400 `too_many_pins`. */
export const MAX_PINS_PER_CHANNEL = 50;

/**
 * Distinct emoji on one message (Discord's number); a new one beyond it is refused with 400
 * `too_many_reactions`. It keeps message objects, which carry every emoji's summary, small.
 */
export const MAX_REACTION_EMOJI_PER_MESSAGE = 20;
