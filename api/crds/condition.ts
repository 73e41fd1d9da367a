/** The status condition schema VM and VMI share (KubeVirt's VirtualMachineCondition fields). */
import { CONDITION_STATUSES } from '../enums.js';
import { arr, named, obj, str } from './json-schema.js';

export const conditionsSchema = arr(
  named(
    'Condition',
    obj(
      {
        type: str({ description: 'Ready, Failure, Paused, ... (CONDITION_TYPES in api/names.ts).' }),
        status: named('ConditionStatus', str({ enum: CONDITION_STATUSES, description: 'True, False or Unknown.' })),
        reason: str({ description: 'CamelCase, from REASONS in api/names.ts.' }),
        message: str({ description: 'What happened, for a person to read.' }),
        lastTransitionTime: str({ format: 'date-time', description: 'Moves only when status flips.' }),
        lastProbeTime: str({ format: 'date-time', description: 'When the condition was last checked.' }),
      },
      { required: ['type', 'status'], description: 'One aspect of the state, as Kubernetes conditions are.' },
    ),
  ),
  { description: 'The latest observations of the state: Ready, Paused, Failure and the rest.' },
);
