// The coins' argument checks both adapters share.
import { checkNonEmpty, checkPositiveInt, checkString } from "../checks.ts";
import type { AdmitInput } from "./port.ts";

export function checkAdmit(input: AdmitInput): void {
  checkPositiveInt("userId", input.userId);
  checkNonEmpty("admissionId", input.admissionId);
  checkPositiveInt("amount", input.amount);
  checkString("fingerprint", input.fingerprint);
  checkPositiveInt("ttlSec", input.ttlSec);
}

export function checkAdmissionRef(userId: number, admissionId: string): void {
  checkPositiveInt("userId", userId);
  checkNonEmpty("admissionId", admissionId);
}
