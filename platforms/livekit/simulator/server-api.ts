import {
  CreateRoomRequest,
  DisconnectReason,
  DeleteRoomRequest,
  DeleteRoomResponse,
  ListEgressRequest,
  ListEgressResponse,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  MuteRoomTrackRequest,
  MuteRoomTrackResponse,
  RemoveParticipantResponse,
  RoomCompositeEgressRequest,
  RoomParticipantIdentity,
  StopEgressRequest,
  TrackEgressRequest,
  UpdateRoomMetadataRequest,
} from '@livekit/protocol';
import type { Message, MessageType } from '@bufbuild/protobuf';
import { ruleFires } from '../../daily/simulator/faults.ts';
import type { ApiFaultRule } from '../../daily/simulator/faults.ts';
import type { SimRequest } from '../../daily/simulator/http.ts';
import { ensureGrant, requestGrants } from './auth.ts';
import type { ClaimGrants } from './auth.ts';
import type { EgressService } from './egress.ts';
import { present } from './room-model.ts';
import type { RoomModel } from './room-model.ts';
import { TwirpError, decodeRequest, trackNotFound } from './twirp.ts';
import type { WireFormat } from './twirp.ts';

// The Twirp surface: /twirp/livekit.RoomService/* and /twirp/livekit.Egress/*, each method with the grant
// livekit-server checks (roomCreate for CreateRoom/DeleteRoom, roomList for ListRooms, roomAdmin on the
// named room for participant methods, roomRecord for every Egress method).

/** Every method of livekit_room.proto's RoomService and livekit_egress.proto's Egress. */
const LIVEKIT_METHODS = new Set([
  ...['CreateRoom', 'ListRooms', 'DeleteRoom', 'ListParticipants', 'GetParticipant', 'RemoveParticipant', 'MutePublishedTrack']
    .concat(['UpdateParticipant', 'UpdateSubscriptions', 'SendData', 'UpdateRoomMetadata', 'ForwardParticipant', 'MoveParticipant', 'PerformRpc'])
    .map((name) => `RoomService/${name}`),
  ...['StartEgress', 'UpdateLayout', 'UpdateStream', 'ListEgress', 'StopEgress', 'StartRoomCompositeEgress', 'StartWebEgress']
    .concat(['StartParticipantEgress', 'StartTrackCompositeEgress', 'StartTrackEgress'])
    .map((name) => `Egress/${name}`),
]);

export interface TwirpAnswer {
  message: Message;
  format: WireFormat;
}

interface Method<T extends Message<T>> {
  request: MessageType<T>;
  handle: (request: T, grants: ClaimGrants | null) => Message;
}

export interface ServerApiOptions {
  keys: ReadonlyMap<string, string>;
  rooms: RoomModel;
  egress: EgressService;
  faults: () => ApiFaultRule[];
  random: () => number;
  /** Calls per `Service/Method`, refused ones included. */
  calls: Record<string, number>;
}

export function createServerApi(options: ServerApiOptions): (request: SimRequest) => Promise<TwirpAnswer> {
  const { rooms, egress } = options;
  const method = <T extends Message<T>>(request: MessageType<T>, handle: Method<T>['handle']): Method<Message> =>
    ({ request, handle }) as unknown as Method<Message>;
  const methods: Record<string, Method<Message>> = {
    'RoomService/CreateRoom': method(CreateRoomRequest, (req, grants) => {
      ensureGrant(grants, 'roomCreate');
      return rooms.roomInfo(
        rooms.createRoom({
          name: req.name,
          emptyTimeout: req.emptyTimeout,
          departureTimeout: req.departureTimeout,
          maxParticipants: req.maxParticipants,
          metadata: req.metadata,
        }),
      );
    }),
    'RoomService/ListRooms': method(ListRoomsRequest, (req, grants) => {
      ensureGrant(grants, 'roomList');
      const listed = [...rooms.rooms.values()].filter((room) => req.names.length === 0 || req.names.includes(room.name));
      return new ListRoomsResponse({ rooms: listed.map((room) => rooms.roomInfo(room)) });
    }),
    'RoomService/DeleteRoom': method(DeleteRoomRequest, (req, grants) => {
      ensureGrant(grants, 'roomCreate');
      rooms.deleteRoom(req.room);
      return new DeleteRoomResponse();
    }),
    'RoomService/UpdateRoomMetadata': method(UpdateRoomMetadataRequest, (req, grants) => {
      ensureGrant(grants, { roomAdmin: req.room });
      return rooms.roomInfo(rooms.updateMetadata(req.room, req.metadata));
    }),
    'RoomService/ListParticipants': method(ListParticipantsRequest, (req, grants) => {
      ensureGrant(grants, { roomAdmin: req.room });
      return new ListParticipantsResponse({ participants: present(rooms.room(req.room)).map((p) => rooms.participantInfo(p)) });
    }),
    'RoomService/GetParticipant': method(RoomParticipantIdentity, (req, grants) => {
      ensureGrant(grants, { roomAdmin: req.room });
      return rooms.participantInfo(rooms.byIdentity(req.room, req.identity));
    }),
    'RoomService/RemoveParticipant': method(RoomParticipantIdentity, (req, grants) => {
      ensureGrant(grants, { roomAdmin: req.room });
      rooms.leave(rooms.byIdentity(req.room, req.identity).sid, DisconnectReason.PARTICIPANT_REMOVED);
      return new RemoveParticipantResponse();
    }),
    'RoomService/MutePublishedTrack': method(MuteRoomTrackRequest, (req, grants) => {
      ensureGrant(grants, { roomAdmin: req.room });
      const participant = rooms.byIdentity(req.room, req.identity);
      const track = participant.tracks.find((t) => t.sid === req.trackSid && t.unpublishedAtMs === null);
      if (!track) throw trackNotFound();
      // LiveKit lets the server mute, and unmute only when remote unmute is enabled (it is not by default).
      if (!req.muted && track.muted) throw new TwirpError('failed_precondition', 'remote unmute not enabled');
      return new MuteRoomTrackResponse({ track: rooms.trackInfo(rooms.setMuted(track.sid, req.muted)) });
    }),
    'Egress/StartRoomCompositeEgress': method(RoomCompositeEgressRequest, (req, grants) => {
      ensureGrant(grants, 'roomRecord');
      return egress.startRoomComposite(req);
    }),
    'Egress/StartTrackEgress': method(TrackEgressRequest, (req, grants) => {
      ensureGrant(grants, 'roomRecord');
      return egress.startTrack(req);
    }),
    'Egress/StopEgress': method(StopEgressRequest, (req, grants) => {
      ensureGrant(grants, 'roomRecord');
      return egress.stop(req.egressId);
    }),
    'Egress/ListEgress': method(ListEgressRequest, (req, grants) => {
      ensureGrant(grants, 'roomRecord');
      return new ListEgressResponse({ items: egress.list(req) });
    }),
  };

  return async (request) => {
    const match = /^\/livekit\.(RoomService|Egress)\/([A-Za-z]+)$/.exec(request.path);
    const key = match ? `${match[1]}/${match[2]}` : null;
    const handler = key ? methods[key] : undefined;
    if (request.method !== 'POST' || !handler) {
      if (request.method === 'POST' && key && LIVEKIT_METHODS.has(key)) throw new TwirpError('unimplemented', `the simulator does not offer ${key}`);
      throw new TwirpError('bad_route', `no handler for path "/twirp${request.path}"`, { twirp_invalid_route: `${request.method} /twirp${request.path}` });
    }
    options.calls[key!] = (options.calls[key!] ?? 0) + 1;
    const grants = await requestGrants(headerValue(request.headers.authorization), options.keys);
    const { message, format } = decodeRequest(handler.request, request);
    const fault = options.faults().find((rule) => (!rule.routes || rule.routes.includes(key!)) && ruleFires(rule, options.random));
    if (fault) throw new TwirpError(fault.status === 500 ? 'internal' : 'unavailable', 'simulated service fault');
    return { message: handler.handle(message, grants), format };
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
