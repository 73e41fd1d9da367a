/** The status condition schema VM and VMI share (KubeVirt's VirtualMachineCondition fields). */
import { CONDITION_STATUSES } from '../enums.js';
import { arr, named, obj, str } from './json-schema.js';

export const conditionsSchema = arr(
  named(
    'Condition',
    obj(
      {
        type: str({ description: 'Ready, Failure, Paused, ... (CONDITION_TYPES in api/names.ts).' }),
        status: named('ConditionStatus', str({ enum: CONDITION_STATUSES })),
        reason: str({ description: 'CamelCase, from REASONS in api/names.ts.' }),
        message: str(),
        lastTransitionTime: str({ format: 'date-time', description: 'Moves only when status flips.' }),
        lastProbeTime: str({ format: 'date-time' }),
      },
      { required: ['type', 'status'] },
    ),
  ),
);
