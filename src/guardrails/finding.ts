// What a guardrail reports: each thing it found, where in the text, and how sure it is.
export interface Finding {
  /** The guardrail that found it (its name in the config). */
  guardrail: string;
  /** What it is: email, phone, credit_card, iban, ip_address, secret:aws_access_key, prompt_injection, … */
  type: string;
  text: string;
  /** Offsets in UTF-16 code units of the checked text, end exclusive. */
  start: number;
  end: number;
  /** 0..1: how sure the detector is. */
  score: number;
}

/** A detector: pure, synchronous, local. */
export type Detector = (text: string) => Omit<Finding, 'guardrail'>[];
